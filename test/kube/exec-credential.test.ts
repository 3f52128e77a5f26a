import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { CredentialPlugin, parseExecConfig } from '../../src/kube/exec-credential.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { kubeconfigForUser, namespacesSeenBy } from '../support/kubeconfig.ts';
import { startSilentServer } from '../support/silent-server.ts';

/**
 * Exec credential plugins, run as real processes (shell scripts) against the local control plane.
 * Loading @kubernetes/client-node fails every test here: exec users must not need it.
 */
const clientNode = vi.hoisted(() => ({ loads: 0 }));
vi.mock('@kubernetes/client-node', () => {
  clientNode.loads += 1;
  throw new Error('@kubernetes/client-node was loaded');
});

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

let plane: ControlPlane;
beforeAll(async () => {
  plane = await startControlPlane();
});
afterAll(async () => {
  await plane.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

interface Plugin {
  command: string;
  dir: string;
  /** How many times the plugin ran. */
  runs(): number;
  /** A file the script wrote on its nth run (1-based). */
  written(name: string, run?: number): string;
}

/**
 * A credential plugin: a shell script in a folder of its own that counts its runs, runs `shell`
 * (with $dir and $run set), then prints answers[run - 1], the last one once they run out.
 */
function credentialPlugin(answers: Array<object | string>, shell = ''): Plugin {
  const dir = mkdtempSync(join(tmpdir(), 'tg-exec-plugin-'));
  answers.forEach((answer, index) =>
    writeFileSync(
      join(dir, `answer-${index + 1}`),
      typeof answer === 'string' ? answer : JSON.stringify(answer),
    ),
  );
  const command = join(dir, 'credential-plugin');
  writeFileSync(
    command,
    [
      '#!/bin/sh',
      `dir='${dir}'`,
      'echo run >> "$dir/runs"',
      'run=$(($(wc -l < "$dir/runs")))',
      shell,
      `answer="$dir/answer-$run"; [ -f "$answer" ] || answer="$dir/answer-${answers.length}"`,
      'cat "$answer"',
      '',
    ].join('\n'),
  );
  chmodSync(command, 0o755);
  const file = (name: string) => join(dir, name);
  return {
    command,
    dir,
    runs: () => (existsSync(file('runs')) ? readFileSync(file('runs'), 'utf8').split('\n').length - 1 : 0),
    written: (name, run = 1) => readFileSync(file(`${name}-${run}`), 'utf8'),
  };
}

const credential = (status: object, apiVersion = V1) => ({ apiVersion, kind: 'ExecCredential', status });

function execUser(plugin: Plugin | string, exec: Record<string, unknown> = {}): Record<string, unknown> {
  const command = typeof plugin === 'string' ? plugin : plugin.command;
  return { exec: { apiVersion: V1, command, interactiveMode: 'Never', ...exec } };
}

async function withClient<T>(file: string, use: (kube: KubeClient) => Promise<T>): Promise<T> {
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 10_000 }));
  try {
    return await use(kube);
  } finally {
    await kube.close();
  }
}

const listNamespaces = (kube: KubeClient) => kube.list('v1', 'Namespace');

/** What a request through the plugin's credentials failed with. */
async function failure(file: string): Promise<GatewayError> {
  const error: unknown = await namespacesSeenBy(file).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const shown = (error: GatewayError) => [error.message, error.why ?? '', ...error.next].join('\n');

describe('exec credential plugins', () => {
  it('a token from a v1 plugin authenticates; the plugin runs once for the process, not per request', async () => {
    const plugin = credentialPlugin([credential({ token: 'admin-token' })]);
    const file = kubeconfigForUser(plane, execUser(plugin));
    await withClient(file, async (kube) => {
      expect((await listNamespaces(kube)).map((namespace) => namespace.metadata.name)).toContain('default');
      await Promise.all([listNamespaces(kube), listNamespaces(kube), listNamespaces(kube)]);
      await kube.forServer(plane.url).list('v1', 'Namespace');
    });
    expect(plugin.runs()).toBe(1);
    expect(plane.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces', user: 'admin', status: 200 });
  });

  it('v1beta1, whose interactiveMode may be left out (it defaults to IfAvailable)', async () => {
    const plugin = credentialPlugin(
      [credential({ token: 'admin-token' }, V1BETA1)],
      'printf %s "$KUBERNETES_EXEC_INFO" > "$dir/exec-info-$run"',
    );
    const file = kubeconfigForUser(plane, {
      exec: { apiVersion: V1BETA1, command: plugin.command },
    });
    expect(await namespacesSeenBy(file)).toContain('default');
    expect(JSON.parse(plugin.written('exec-info'))).toMatchObject({
      apiVersion: V1BETA1,
      kind: 'ExecCredential',
    });
  });

  it('runs the command with its args, in the environment plus the exec env entries', async () => {
    vi.stubEnv('TG_FROM_PARENT', 'inherited');
    vi.stubEnv('TG_OVERRIDDEN', 'from the parent');
    const plugin = credentialPlugin(
      [credential({ token: 'admin-token' })],
      [
        `printf '%s\\n' "$@" > "$dir/args-$run"`,
        `printf '%s\\n' "$TG_FROM_PARENT" "$TG_OVERRIDDEN" "$TG_CLUSTER" > "$dir/env-$run"`,
      ].join('\n'),
    );
    const file = kubeconfigForUser(
      plane,
      execUser(plugin, {
        args: ['eks', 'get-token', '--cluster-name', 'two words'],
        env: [
          { name: 'TG_OVERRIDDEN', value: 'from the kubeconfig' },
          { name: 'TG_CLUSTER', value: 'prod' },
        ],
      }),
    );
    expect(await namespacesSeenBy(file)).toContain('default');
    expect(plugin.written('args').split('\n')).toEqual([
      'eks',
      'get-token',
      '--cluster-name',
      'two words',
      '',
    ]);
    expect(plugin.written('env').split('\n')).toEqual(['inherited', 'from the kubeconfig', 'prod', '']);
  });

  it('KUBERNETES_EXEC_INFO: the ExecCredential spec, and the cluster only with provideClusterInfo', async () => {
    const record = 'printf %s "$KUBERNETES_EXEC_INFO" > "$dir/exec-info-$run"';
    const withoutCluster = credentialPlugin([credential({ token: 'admin-token' })], record);
    await namespacesSeenBy(kubeconfigForUser(plane, execUser(withoutCluster)));
    expect(JSON.parse(withoutCluster.written('exec-info'))).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: { interactive: false },
    });

    const withCluster = credentialPlugin([credential({ token: 'admin-token' })], record);
    const file = kubeconfigForUser(plane, execUser(withCluster, { provideClusterInfo: true }), {
      'tls-server-name': 'localhost',
      extensions: [
        { name: 'client.authentication.k8s.io/exec', extension: { audience: 'plane', region: 'local' } },
        { name: 'someone-else', extension: { ignored: true } },
      ],
    });
    expect(await namespacesSeenBy(file)).toContain('default');
    expect(JSON.parse(withCluster.written('exec-info'))).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: {
          server: plane.url,
          'tls-server-name': 'localhost',
          'certificate-authority-data': Buffer.from(plane.ca).toString('base64'),
          config: { audience: 'plane', region: 'local' },
        },
      },
    });
  });

  it('interactive: only when the mode allows it and stdin is a terminal; Always without one fails unrun', async () => {
    const plugin = credentialPlugin(
      [credential({ token: 'admin-token' })],
      'printf %s "$KUBERNETES_EXEC_INFO" > "$dir/exec-info-$run"',
    );
    const run = async (interactiveMode: string, stdinIsTerminal: boolean) => {
      const config = parseExecConfig({ apiVersion: V1, command: plugin.command, interactiveMode });
      const credentials = new CredentialPlugin(config, { server: plane.url }, 'plane', {
        stdinIsTerminal: () => stdinIsTerminal,
      });
      await credentials.credential();
      return JSON.parse(plugin.written('exec-info', plugin.runs())) as { spec: { interactive: boolean } };
    };
    expect((await run('IfAvailable', true)).spec.interactive).toBe(true);
    expect((await run('IfAvailable', false)).spec.interactive).toBe(false);
    expect((await run('Never', true)).spec.interactive).toBe(false);
    expect((await run('Always', true)).spec.interactive).toBe(true);
    const runsBefore = plugin.runs();
    await expect(run('Always', false)).rejects.toThrow(/needs a terminal/);
    expect(plugin.runs()).toBe(runsBefore);
  });

  it('a client certificate from the plugin is what the TLS connection presents', async () => {
    const { cert, key } = plane.adminCertificate;
    const plugin = credentialPlugin([credential({ clientCertificateData: cert, clientKeyData: key })]);
    expect(await namespacesSeenBy(kubeconfigForUser(plane, execUser(plugin)))).toContain('default');
    expect(plane.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces', user: 'kubernetes-admin' });
  });

  it('a credential past its expirationTimestamp: the plugin runs again for the next request', async () => {
    const expired = credentialPlugin([
      credential({ token: 'admin-token', expirationTimestamp: '2000-01-01T00:00:00Z' }),
    ]);
    const lasting = credentialPlugin([
      credential({ token: 'admin-token', expirationTimestamp: '2100-01-01T00:00:00Z' }),
    ]);
    for (const plugin of [expired, lasting]) {
      await withClient(kubeconfigForUser(plane, execUser(plugin)), async (kube) => {
        await listNamespaces(kube);
        await listNamespaces(kube);
      });
    }
    expect(expired.runs()).toBe(2);
    expect(lasting.runs()).toBe(1);
  });

  it('a renewed client certificate gets new connections, not the ones that present the old one', async () => {
    const { cert, key } = plane.adminCertificate;
    const plugin = credentialPlugin([
      credential({
        clientCertificateData: cert,
        clientKeyData: key,
        expirationTimestamp: '2000-01-01T00:00:00Z',
      }),
      credential({ token: 'admin-token' }),
    ]);
    await withClient(kubeconfigForUser(plane, execUser(plugin)), async (kube) => {
      await listNamespaces(kube);
      await listNamespaces(kube);
    });
    expect(plane.requests.slice(-2).map((request) => request.user)).toEqual(['kubernetes-admin', 'admin']);
  });

  it('a 401: the plugin runs again and the request is sent once more', async () => {
    const plugin = credentialPlugin([
      credential({ token: 'revoked-token' }),
      credential({ token: 'admin-token' }),
    ]);
    expect(await namespacesSeenBy(kubeconfigForUser(plane, execUser(plugin)))).toContain('default');
    expect(plugin.runs()).toBe(2);
    expect(plane.requests.slice(-2).map((request) => request.status)).toEqual([401, 200]);
  });

  it('a 401 to the new credential too is reported, after one retry', async () => {
    const plugin = credentialPlugin([credential({ token: 'revoked-token' })]);
    const error = await failure(kubeconfigForUser(plane, execUser(plugin)));
    expect(error.message).toMatch(/401 Unauthorized/);
    expect(error.exitCode).toBe(5);
    expect(plugin.runs()).toBe(2);
  });

  it('a command that is not found: named, with the installHint', async () => {
    const installHint = 'tg-auth-plugin is needed for this cluster: brew install tg-auth-plugin';
    const error = await failure(
      kubeconfigForUser(plane, execUser('tg-no-such-auth-plugin', { installHint })),
    );
    expect(error.message).toBe('the credential plugin tg-no-such-auth-plugin was not found');
    expect(error.why).toMatch(/context "plane".*not on PATH/);
    expect(error.next).toEqual([installHint]);
    expect(error.exitCode).toBe(3);
  });

  it('a command given as a relative path is found beside the kubeconfig, as kubectl finds it', async () => {
    const plugin = credentialPlugin([credential({ token: 'admin-token' })]);
    const file = kubeconfigForUser(plane, execUser('./bin/credential-plugin'));
    mkdirSync(join(file, '..', 'bin'));
    writeFileSync(join(file, '..', 'bin', 'credential-plugin'), readFileSync(plugin.command), {
      mode: 0o755,
    });
    expect(await namespacesSeenBy(file)).toContain('default');
    expect(plugin.runs()).toBe(1);
  });

  it('a plugin that fails: its exit code and the last thing it said, which also reaches stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const plugin = credentialPlugin(
      [''],
      'echo "fetching a token for prod" >&2\necho "the SSO session has expired; run aws sso login" >&2\nexit 255',
    );
    const error = await failure(kubeconfigForUser(plane, execUser(plugin)));
    expect(error.message).toBe(`the credential plugin ${plugin.command} exited with 255`);
    expect(error.why).toBe(
      'it ended with: the SSO session has expired; run aws sso login (all it said is above)',
    );
    expect(error.exitCode).toBe(3);
    expect(stderr.mock.calls.map(([chunk]) => String(chunk)).join('')).toContain('fetching a token for prod');
  });

  it('an answer that is not a usable ExecCredential is named, and never shown', async () => {
    const { cert } = plane.adminCertificate;
    const cases: Array<[answer: object | string, why: RegExp]> = [
      ['token: secret-in-garbage', /is not JSON/],
      ['', /printed nothing/],
      [credential({ token: 'secret-token' }, V1BETA1), /apiVersion "client.authentication.k8s.io\/v1beta1"/],
      [{ apiVersion: V1, kind: 'Secret', status: { token: 'secret-token' } }, /kind "Secret"/],
      [{ apiVersion: V1, kind: 'ExecCredential' }, /has no status/],
      [
        credential({ expirationTimestamp: '2100-01-01T00:00:00Z' }),
        /neither a token nor a client certificate/,
      ],
      [credential({ clientCertificateData: cert }), /clientCertificateData without clientKeyData/],
      [credential({ clientCertificateData: 'secret', clientKeyData: 'secret' }), /is not a PEM certificate/],
      [credential({ token: 'secret-token', expirationTimestamp: 'soon' }), /not an RFC 3339 time/],
    ];
    for (const [answer, why] of cases) {
      const error = await failure(kubeconfigForUser(plane, execUser(credentialPlugin([answer]))));
      expect(error.message).toMatch(/did not answer with an ExecCredential/);
      expect(error.why).toMatch(why);
      expect(shown(error)).not.toContain('secret');
      expect(error.exitCode).toBe(3);
    }
  });

  it('a plugin that never answers is killed after --request-timeout: exit 4, naming the plugin and the flag', async () => {
    // The plugin holds a connection to this server for as long as it lives.
    const held = await startSilentServer('tcp');
    try {
      const hang = `exec '${process.execPath}' -e "require('net').connect(${held.port}, '127.0.0.1'); setInterval(() => {}, 1e9)"`;
      const plugin = credentialPlugin([credential({ token: 'admin-token' })], hang);
      const kube = new KubeClient(
        resolveKubeTarget({ kubeconfig: kubeconfigForUser(plane, execUser(plugin)), requestTimeoutMs: 1500 }),
      );
      const error: unknown = await listNamespaces(kube).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      await kube.close();
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).message).toBe(
        `the credential plugin ${plugin.command} did not answer within 1.5s (--request-timeout)`,
      );
      expect((error as GatewayError).exitCode).toBe(4);
      expect((error as GatewayError).next).toContain('raise the limit, e.g. --request-timeout=2m');
      expect(held.connections).toBe(1);
      // Killed, not left behind: its connection closes.
      await held.allClosed();
    } finally {
      await held.stop();
    }
  });

  it('an exec entry kubectl would refuse is named when the kubeconfig is read', () => {
    const cases: Array<[exec: Record<string, unknown>, why: RegExp]> = [
      [{ apiVersion: V1, command: 'aws' }, /has no interactiveMode, which that version requires/],
      [
        { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'aws', interactiveMode: 'Never' },
        /v1alpha1/,
      ],
      [{ apiVersion: V1, interactiveMode: 'Never' }, /has no command/],
      [{ apiVersion: V1, command: 'aws', interactiveMode: 'Sometimes' }, /"Sometimes" is not Never/],
    ];
    for (const [exec, why] of cases) {
      const file = kubeconfigForUser(plane, { exec });
      expect(() => resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 0 })).toThrow(
        expect.objectContaining({
          message: 'cannot read the credentials of context "plane"',
          why: expect.stringMatching(why),
        }),
      );
    }
  });

  // Last: it also proves that the guard at the top of this file would catch a load.
  it('no exec user here loaded @kubernetes/client-node; an auth-provider user still does', async () => {
    expect(clientNode.loads).toBe(0);
    const authProvider = kubeconfigForUser(plane, { 'auth-provider': { name: 'oidc', config: {} } });
    await expect(namespacesSeenBy(authProvider)).rejects.toThrow();
    expect(clientNode.loads).toBe(1);
  });
});
