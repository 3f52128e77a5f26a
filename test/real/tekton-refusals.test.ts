/**
 * What `test` says when real Tekton Triggers v0.35.0 does not start anything, and what it refuses
 * before sending: a wrong --secret told apart from a listener with no trigger for the provider, an
 * event type the trigger refuses, a Secret that does not exist, a Secret the user may not read, a
 * listener that is not Ready; and the listener's own reason once its log level is debug, as the
 * message says to set it, with the GitLab token the listener then logs kept out of test's output.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import Test from '../../src/commands/test.ts';
import { ExitCode } from '../../src/errors.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runCommand, runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { kubeconfigForUser } from '../support/kubeconfig.ts';
import { pipelineRunsOf } from './listener-traffic.ts';
import { listenerObjects } from './listeners.ts';
import {
  eventIdIn,
  githubListener,
  gitlabListener,
  tektonInstalled,
  type TektonScene,
  tektonScene,
} from './tekton-scene.ts';
import { TEKTON_NAMESPACE } from './tekton.ts';

const SECRET = 'the-right-secret-4b8e';
const WRONG = 'a-wrong-secret-0f3a';
const GITLAB_SECRET = 'gitlab-token-in-debug-9c2d';

interface Pod extends KubeObject {
  metadata: KubeObject['metadata'] & { deletionTimestamp?: string };
  spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

describe.skipIf(!tektonInstalled())('test refuses or explains, on real Tekton Triggers', () => {
  let scene: TektonScene;
  const ci = freshNamespace('tr-ci');
  const gitlab = freshNamespace('tr-gitlab');

  beforeAll(async () => {
    scene = await tektonScene('tr');
    await scene.addListener(githubListener(ci), SECRET);
    // Its interceptor reads a Secret nobody created.
    await scene.addListener(
      { namespace: ci, name: 'no-secret', provider: 'github', secretName: 'absent', eventTypes: ['push'] },
      undefined,
    );
    await scene.addListener(gitlabListener(gitlab), GITLAB_SECRET);
    const broken = listenerObjects({
      namespace: ci,
      name: 'broken',
      provider: 'github',
      secretName: 'github-webhook',
      eventTypes: ['push'],
    });
    for (const object of broken)
      if (object.kind === 'EventListener')
        (object.spec as { serviceAccountName: string }).serviceAccountName = 'no-such-account';
    await scene.apply(broken);
    for (const [path, listener, namespace] of [
      ['/github', 'github-listener', ci],
      ['/no-secret', 'no-secret', ci],
      ['/gitlab', 'gitlab-listener', gitlab],
      ['/broken', 'broken', ci],
    ] as const)
      await scene.route(path, listener, namespace);
  });

  afterAll(async () => {
    await scene?.close();
  });

  const noPipelineRunFor = async (stderr: string) => {
    const eventId = eventIdIn(stderr);
    expect(eventId, stderr).toBeDefined();
    expect(await pipelineRunsOf(scene.kube, ci, eventId ?? '')).toEqual([]);
  };

  it('a wrong --secret: the listener answered 202 and created nothing, and the secret is named as the cause, by name', async () => {
    const tested = await scene.run(Test, '/github', '--secret', WRONG, '--timeout', '5s');
    expect(tested.exitCode, tested.stderr).toBe(ExitCode.timeout);
    expect(tested.stderr).toMatch(
      /error: eventlistener \S+\/github-listener created nothing for event [0-9a-f-]{36} within 5s/,
    );
    expect(tested.stderr).toContain(
      'the listener accepted the event (HTTP 202) and its interceptors dropped it',
    );
    expect(tested.stderr).toContain(
      `the secret the delivery was signed with (--secret) differs from the one in secret ${ci}/github-webhook (key secretToken)`,
    );
    expect(tested.stderr).toContain(
      `try: sign with the interceptor's own secret: leave out --secret (test reads secret ${ci}/github-webhook itself)`,
    );
    expect(tested.stderr).toContain('zap-logger-config');
    expect(`${tested.stdout}${tested.stderr}`).not.toContain(SECRET);
    await noPipelineRunFor(tested.stderr);
  });

  it('a listener with no trigger for the provider is told apart from a wrong secret', async () => {
    const tested = await scene.run(
      Test,
      '/github',
      '--provider',
      'gitlab',
      '--secret',
      SECRET,
      '--timeout',
      '5s',
    );
    expect(tested.exitCode, tested.stderr).toBe(ExitCode.timeout);
    expect(tested.stderr).toContain('no trigger will take this delivery');
    expect(tested.stderr).toContain(
      "no GitLab delivery passes trigger github-push's verify-github interceptor: it checks GitHub deliveries",
    );
    expect(tested.stderr).not.toContain('differs');
    expect(tested.stderr).toContain('try: send what it checks: --provider github');
    await noPipelineRunFor(tested.stderr);
  });

  it('an event type the trigger refuses: named, with one it accepts', async () => {
    const tested = await scene.run(Test, '/github', '--event', 'issue_comment', '--timeout', '5s');
    expect(tested.exitCode, tested.stderr).toBe(ExitCode.timeout);
    expect(tested.stderr).toContain(
      `trigger github-push's verify-github interceptor accepts the event types push, pull_request, not "issue_comment"`,
    );
    expect(tested.stderr).toContain('try: send an event it accepts: --event push');
    await noPipelineRunFor(tested.stderr);
  });

  it('a secretRef to a Secret that does not exist: exit 7 before anything is sent, naming how to create it', async () => {
    const tested = await scene.run(Test, '/no-secret');
    expect(tested.exitCode, tested.stderr).toBe(ExitCode.clusterState);
    expect(tested.stderr).toContain(`error: secret ${ci}/absent does not exist`);
    expect(tested.stderr).toContain('nothing was sent');
    expect(tested.stderr).toContain(
      `try: create it: kubectl -n ${ci} create secret generic absent --from-literal=secretToken=<the webhook secret>`,
    );
    expect(tested.stderr).not.toContain('Sending a');
  });

  it('a listener that is not Ready: exit 7 before anything is sent, with the reason its controller gave', async () => {
    const tested = await eventually(
      async () => {
        const result = await scene.run(Test, '/broken');
        if (!result.stderr.includes('no-such-account')) throw new Error(result.stderr);
        return result;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(tested.exitCode).toBe(ExitCode.clusterState);
    expect(tested.stderr).toContain(`error: eventlistener ${ci}/broken is not Ready`);
    expect(tested.stderr).toContain('serviceaccount "no-such-account" not found');
    expect(tested.stderr).toContain(`try: kubectl -n ${ci} describe deployment el-broken`);
    expect(tested.stderr).not.toContain('Sending a');
  });

  it('a Secret the user may not read (the view role): exit 6 before anything is sent, naming the check to run', async () => {
    const admin = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: scene.kubeconfig });
    await admin('-n', scene.gateway, 'create', 'serviceaccount', 'viewer');
    for (const namespace of [scene.gateway, ci])
      await admin(
        '-n',
        namespace,
        'create',
        'rolebinding',
        'viewer-view',
        '--clusterrole=view',
        `--serviceaccount=${scene.gateway}:viewer`,
      );
    // The RBAC authorizer learns of new RoleBindings a moment later.
    await eventually(async () => {
      const allowed = await admin(
        'auth',
        'can-i',
        'get',
        'eventlisteners',
        '-n',
        ci,
        `--as=system:serviceaccount:${scene.gateway}:viewer`,
      );
      if (allowed.stdout.trim() !== 'yes') throw new Error('not yet');
    });
    const token = (
      await admin('-n', scene.gateway, 'create', 'token', 'viewer', '--duration=1h')
    ).stdout.trim();
    const viewer = kubeconfigForUser(inject('realControlPlane'), { token });
    const tested = await runCommand(Test, ['--kubeconfig', viewer, '-n', scene.gateway, '/github']);
    expect(tested.exitCode, tested.stderr).toBe(ExitCode.forbidden);
    expect(tested.stderr).toContain(`error: not allowed to read secret ${ci}/github-webhook (403 Forbidden)`);
    expect(tested.stderr).toContain(`try: kubectl -n ${ci} auth can-i get secrets/github-webhook`);
    expect(tested.stderr).toContain('try: or sign with another secret: --secret-from NAME[:KEY]');
    expect(tested.stderr).not.toContain('Sending a');
  });

  describe('with the listener logging at debug level, as the message says to set it', () => {
    const CONFIG = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'config-logging-triggers',
      namespace: TEKTON_NAMESPACE,
    };
    let original: string | undefined;

    /** Sets the level in zap-logger-config and has the controller roll both listeners with it. */
    async function logAt(level: 'debug' | 'info', zapConfig: string) {
      const config = JSON.parse(zapConfig) as Record<string, unknown>;
      await scene.kube.mergePatch(CONFIG, {
        data: { 'zap-logger-config': JSON.stringify({ ...config, level }, null, 2) },
      });
      for (const [namespace, name] of [
        [ci, 'github-listener'],
        [gitlab, 'gitlab-listener'],
      ] as const) {
        const annotated = await runExecutable(
          'kubectl',
          [
            '-n',
            namespace,
            'annotate',
            'eventlistener',
            name,
            `trigger-gateway.dev/logging=${level}`,
            '--overwrite',
          ],
          { KUBECONFIG: scene.kubeconfig },
        );
        expect(annotated.exitCode, annotated.stderr).toBe(0);
        // One Ready pod, and it has the new level: test then tails that one.
        await eventually(
          async () => {
            const pods = (
              await scene.kube.list<Pod>('v1', 'Pod', { namespace, labelSelector: `eventlistener=${name}` })
            ).filter((pod) => !pod.metadata.deletionTimestamp);
            const logging = pods.map(
              (pod) =>
                pod.spec.containers[0]?.env?.find((env) => env.name === 'K_LOGGING_CONFIG')?.value ?? '',
            );
            const ready = pods.every((pod) =>
              pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            );
            if (pods.length !== 1 || !ready || !logging[0]?.includes(`\\"level\\": \\"${level}\\"`))
              throw new Error(`el-${name} has not rolled to ${level} yet`);
          },
          { timeoutMs: 120_000, intervalMs: 500 },
        );
      }
    }

    beforeAll(async () => {
      const config = await scene.kube.read<KubeObject & { data: Record<string, string> }>(CONFIG);
      original = config?.data['zap-logger-config'];
      await logAt('debug', original ?? '{}');
    });

    afterAll(async () => {
      if (original !== undefined) await logAt('info', original);
    });

    it("shows the listener's own reason for dropping the event", async () => {
      const tested = await scene.run(Test, '/github', '--secret', WRONG, '--timeout', '10s');
      expect(tested.exitCode, tested.stderr).toBe(ExitCode.timeout);
      expect(tested.stderr).toContain(
        'the listener logged: trigger github-push: interceptor stopped trigger processing: rpc error: code = FailedPrecondition desc = payload signature check failed',
      );
      // It has the reason: no need to explain how to get it.
      expect(tested.stderr).not.toContain('zap-logger-config');
    });

    it('keeps the GitLab token the listener now logs out of what test prints', async () => {
      const tested = await scene.run(Test, '/gitlab');
      expect(tested.exitCode, tested.stderr).toBe(0);
      expect(tested.stderr).toContain('X-Gitlab-Token:[…(redacted)]');
      expect(`${tested.stdout}${tested.stderr}`).not.toContain(GITLAB_SECRET);
      const logged = await runExecutable(
        'kubectl',
        ['-n', gitlab, 'logs', '-l', 'eventlistener=gitlab-listener'],
        { KUBECONFIG: scene.kubeconfig },
      );
      expect(logged.stdout).toContain(`X-Gitlab-Token:[${GITLAB_SECRET}]`);
    });
  });
});
