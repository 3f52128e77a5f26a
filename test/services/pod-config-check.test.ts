/**
 * The check before writing sees the config as the gateway pod will: its files at the pod's paths in a
 * scratch directory, so a route map read from a path the pod does not have fails the check the way it
 * fails in the pod ("failed to open pattern file"), and one read from where the pod has it passes.
 */
import { describe, expect, it } from 'vitest';
import { addRoute } from '../../src/haproxy/routes.ts';
import { checkWithHaproxy, type PodConfigFiles, underRoot } from '../../src/services/haproxy-check.ts';
import { findHaproxy, HAPROXY_MISSING, haproxyFixture } from '../support/haproxy.ts';

const haproxy = findHaproxy();
const extra = {
  match: { type: 'path', path: '/extra' },
  service: { name: 'x', namespace: 'y', port: 81 },
} as const;

/** The pod of the reference Deployment moved to /etc/haproxy: haproxy.cfg mounted there with subPath. */
const subPathPod = (cfg: string): PodConfigFiles => ({
  configPath: '/etc/haproxy/haproxy.cfg',
  mountPaths: ['/etc/haproxy/haproxy.cfg'],
  files: new Map([['/etc/haproxy/haproxy.cfg', cfg]]),
});

describe('paths under the pod mounts, and only those, move to the scratch copy', () => {
  it('rewrites whole paths under a mount, leaves every other path alone', () => {
    const cfg = [
      'use_backend %[path,map_beg(/etc/haproxy/haproxy.cfg)]',
      'use_backend %[path,map_beg(/usr/local/etc/haproxy/haproxy.cfg)]',
      'errorfile 503 /etc/haproxy/errors/503.http',
      'errorfile 504 /etc/haproxy-errors/504.http',
      '',
    ].join('\n');
    expect(underRoot(cfg, ['/etc/haproxy'], '/tmp/s')).toBe(
      [
        'use_backend %[path,map_beg(/tmp/s/etc/haproxy/haproxy.cfg)]',
        'use_backend %[path,map_beg(/usr/local/etc/haproxy/haproxy.cfg)]',
        'errorfile 503 /tmp/s/etc/haproxy/errors/503.http',
        'errorfile 504 /etc/haproxy-errors/504.http',
        '',
      ].join('\n'),
    );
    expect(underRoot(cfg, ['/etc/haproxy/haproxy.cfg'], '/tmp/s')).toContain(
      'map_beg(/tmp/s/etc/haproxy/haproxy.cfg)]\nuse_backend %[path,map_beg(/usr/local/etc/haproxy/haproxy.cfg)]\nerrorfile 503 /etc/haproxy/errors/503.http',
    );
  });
});

describe.skipIf(!haproxy && !process.env.CI)(
  `haproxy -c as the pod sees the config (${haproxy ?? HAPROXY_MISSING})`,
  () => {
    const base = haproxyFixture('original-comments.cfg');

    it('a route map read from where the pod does not have the file fails, naming the pod paths', async () => {
      const wrong = addRoute(base, extra, { overwrite: false }).cfg;
      expect(wrong).toContain('map_beg(/usr/local/etc/haproxy/haproxy.cfg)');
      const verdict = await checkWithHaproxy(subPathPod(wrong), haproxy);
      expect(verdict.valid).toBe(false);
      expect(verdict.alerts.join('\n')).toContain(
        'failed to open pattern file </usr/local/etc/haproxy/haproxy.cfg>',
      );
      expect(verdict.alerts.join('\n')).toContain('[/etc/haproxy/haproxy.cfg:');
    });

    it('the same route read from where the pod has it passes', async () => {
      const right = addRoute(base, extra, { overwrite: false, configPath: '/etc/haproxy/haproxy.cfg' }).cfg;
      const verdict = await checkWithHaproxy(subPathPod(right), haproxy);
      expect(verdict.alerts).toEqual([]);
      expect(verdict.valid).toBe(true);
    });

    it('other keys of a directory mount are there too, at their paths', async () => {
      const cfg = base.replace(
        '    # Add new listeners above this line.\n',
        '    http-request return status 200 content-type text/plain file /etc/haproxy/ok.txt if { path /ok }\n',
      );
      const pod = (files: Array<[string, string]>): PodConfigFiles => ({
        configPath: '/etc/haproxy/haproxy.cfg',
        mountPaths: ['/etc/haproxy'],
        files: new Map([['/etc/haproxy/haproxy.cfg', cfg], ...files]),
      });
      expect((await checkWithHaproxy(pod([['/etc/haproxy/ok.txt', 'ok\n']]), haproxy)).valid).toBe(true);
      const missing = await checkWithHaproxy(pod([]), haproxy);
      expect(missing.valid).toBe(false);
      expect(missing.alerts.join('\n')).toContain('/etc/haproxy/ok.txt');
    });
  },
);
