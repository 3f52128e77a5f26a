/**
 * Which HAProxy checks a new config (config-check.ts), with real local HAProxy runs: the choice
 * between this machine's and the pods' by major.minor, and how the result reads.
 */
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { type CheckPlan, checkNewConfig, describeConfigCheck } from '../../src/services/config-check.ts';
import { alertLines, bundledPodFiles, majorMinor } from '../../src/services/haproxy-check.ts';
import { bundledGatewayConfig, findHaproxy, HAPROXY_MISSING } from '../support/haproxy.ts';

describe('versions and alerts', () => {
  it('majorMinor: what decides whether two HAProxies read a config alike', () => {
    expect(majorMinor('2.6.12-1+deb12u4')).toBe('2.6');
    expect(majorMinor('3.2.4')).toBe('3.2');
  });

  it("alertLines: HAProxy's [ALERT] lines without the pid", () => {
    const output =
      "[NOTICE]   (7) : haproxy version is 2.6.12\n[ALERT]    (7) : config : parsing [/dev/stdin:4] : unknown keyword 'x'\n";
    expect(alertLines(output)).toEqual(["config : parsing [/dev/stdin:4] : unknown keyword 'x'"]);
  });

  it('describeConfigCheck says which HAProxy checked it, or that none did and why', () => {
    expect(describeConfigCheck({ by: 'local', version: '2.6', notes: [] })).toBe(
      'Checked by HAProxy 2.6 on this machine.',
    );
    expect(
      describeConfigCheck({
        by: 'pod',
        version: '3.2',
        pod: 'gw-1',
        notes: ['this machine has HAProxy 2.6, the pods 3.2'],
      }),
    ).toBe('Checked by HAProxy 3.2 in pod gw-1 (this machine has HAProxy 2.6, the pods 3.2).');
    expect(
      describeConfigCheck({ by: 'none', notes: ['no HAProxy on this machine', 'no gateway pod runs yet'] }),
    ).toBe(
      'Not checked by any HAProxy (no HAProxy on this machine; no gateway pod runs yet); a config the new pods refuse is rolled back.',
    );
  });
});

describe.skipIf(!findHaproxy() && !process.env.CI)(
  `checkNewConfig (${findHaproxy() ?? HAPROXY_MISSING})`,
  () => {
    const binary = findHaproxy() ?? 'haproxy';
    /** Never asked: a plan without a pod, or whose pod the local HAProxy matches, needs no cluster. */
    const kube = {} as KubeClient;
    const cfg = bundledGatewayConfig(false);
    const files = { before: bundledPodFiles(cfg), after: bundledPodFiles(cfg) };
    const what = { change: 'this route change', configMap: 'trigger-gateway-haproxy' };
    const plan = (pod: CheckPlan['pod'], version = '2.6.12'): CheckPlan => ({
      namespace: 'ns',
      local: { binary, version },
      pod,
      notes: [],
    });

    it("uses this machine's HAProxy when it has the pods' major.minor", async () => {
      const pod = { name: 'gw-1', namespace: 'ns', container: 'haproxy', version: '2.6.1' };
      expect(await checkNewConfig(kube, plan(pod), files, what)).toEqual({
        by: 'local',
        binary,
        version: '2.6',
        notes: [],
      });
    });

    it('uses it too when no gateway pod runs, and refuses what it refuses before anything is written', async () => {
      const broken = {
        ...files,
        after: bundledPodFiles(cfg.replace('default_backend no_route', 'default_backend nope')),
      };
      const error = await checkNewConfig(kube, plan(undefined), broken, what).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        'HAProxy 2.6 on this machine would reject the config this route change produces; nothing was written',
      );
    });
  },
);
