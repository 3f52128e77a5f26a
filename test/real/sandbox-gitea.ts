/**
 * `npm run sandbox -- --real --gitea`: a real Gitea beside the sandbox's real control plane, with a
 * user and a repository of theirs, and the last step of the journey done as a user does it: `webhook
 * add` for the listener's route (its events and secret found by themselves), a commit through Gitea's
 * API, and the PipelineRun Gitea's push started. Only the user's API token is printed.
 */
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { GITEA_VERSION } from './binaries.ts';
import { GiteaApi } from './gitea-api.ts';
import { type RealGitea, startRealGitea } from './gitea-server.ts';
import { waitFor } from './wait.ts';

const USER = 'developer';
const REPOSITORY = 'app';

export interface SandboxGitea {
  gitea: RealGitea;
  /** developer's API token: what the sandbox prints, and all it prints of Gitea's secrets. */
  token: string;
  /** developer/app */
  repository: string;
}

/** Starts Gitea and makes developer, a token of theirs and their repository (one commit on main). */
export async function startSandboxGitea(log: (line: string) => void): Promise<SandboxGitea> {
  const gitea = await startRealGitea({ log });
  try {
    // Their password is never used again, nor shown: the token is how they come in.
    await gitea.createUser(USER, { password: randomBytes(16).toString('hex') });
    const token = await gitea.createToken(USER, 'write:repository,write:user');
    const { full_name: repository } = await new GiteaApi(gitea, `token ${token}`).createRepository(
      REPOSITORY,
    );
    return { gitea, token, repository };
  } catch (error) {
    await gitea.stop();
    throw error;
  }
}

export interface SandboxIo {
  say(text: string): void;
  /** Runs a command as the sandbox shows it ("$ kubectl …"), with extra environment; its exit code. */
  run(command: string, args: string[], env?: Record<string, string>): Promise<number>;
}

type PipelineRun = KubeObject & { spec?: { params?: Array<{ name: string; value: unknown }> } };

/**
 * webhook add for /github (which routes to the listener in `namespace`), a commit through Gitea's
 * API, then the PipelineRun its push started, waited for with a deadline.
 */
export async function giteaJourney(
  sandbox: SandboxGitea,
  kubeconfig: string,
  namespace: string,
  io: SandboxIo,
): Promise<number> {
  const { gitea, token, repository } = sandbox;
  io.say(
    `\nGitea ${GITEA_VERSION} at ${gitea.url}: user ${USER}, repository ${repository}. Its API token, for the webhook commands:\n  export GITEA_TOKEN=${token}\n`,
  );
  const env = { GITEA_TOKEN: token };
  const added = await io.run(
    'kubectl',
    [
      'trigger-gateway',
      'webhook',
      'add',
      '/github',
      '--repo',
      repository,
      '--provider',
      'gitea',
      '--api-url',
      gitea.url,
    ],
    env,
  );
  if (added !== 0) return added;

  const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
  try {
    const runs = () => kube.list<PipelineRun>('tekton.dev/v1', 'PipelineRun', { namespace });
    const before = new Set((await runs()).map((run) => run.metadata.name));
    const sha = await new GiteaApi(gitea, `token ${token}`).commitFile(
      repository,
      'sandbox.txt',
      `committed by the sandbox at ${new Date().toISOString()}\n`,
    );
    io.say(
      `\nCommitted ${sha.slice(0, 12)} to ${repository} on main through Gitea's API; Gitea sends its push.\n`,
    );
    const started = await waitFor(
      `the PipelineRun of ${repository}'s push`,
      async () =>
        (await runs()).find(
          (run) =>
            !before.has(run.metadata.name) &&
            run.spec?.params?.some((param) => param.name === 'repository' && param.value === repository),
        ),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    io.say(`\nGitea's push started PipelineRun ${namespace}/${started.metadata.name}.\n`);
  } finally {
    await kube.close();
  }
  const deliveries = await io.run('kubectl', ['trigger-gateway', 'deliveries', '--provider', 'gitea']);
  if (deliveries !== 0) return deliveries;
  return io.run('kubectl', ['get', 'pipelineruns', '-n', namespace]);
}
