/**
 * `npm install -g` of the packed package gives a working `kubectl trigger-gateway`: installed from the
 * tarball that `npm run package` publishes, offline (npm ci left every dependency in npm's cache), into a private prefix.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packNpm } from '../../.ci/package.ts';
import { type CommandResult, KUBECTL, REPO_ROOT, runExecutable } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';

const NODE_24 = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
const work = mkdtempSync(join(tmpdir(), 'tg-npm-'));
const prefix = join(work, 'prefix');
let plane: ControlPlane;
let installed: CommandResult;

beforeAll(async () => {
  const tarball = join(work, packNpm(work));
  installed = await runExecutable(
    'npm',
    ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball],
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work },
  );
  plane = await startControlPlane();
}, 300_000);

afterAll(async () => {
  await plane?.stop();
});

describe('npm install -g', () => {
  it('puts kubectl-trigger_gateway, its completion and trigger-gateway on PATH, and kubectl runs them', async () => {
    // Not even npm's warning about install-time scripts: the package has none.
    expect(installed.stderr.replace(/^npm warn Unknown user config "nodedir".*\n/m, '')).toBe('');
    expect(installed.exitCode).toBe(0);
    expect(readdirSync(join(prefix, 'bin')).sort()).toEqual([
      'kubectl-trigger_gateway',
      'kubectl_complete-trigger_gateway',
      'trigger-gateway',
    ]);
    // The user's PATH: the global bin, a Node 22+ and kubectl; not this repository.
    const env = {
      PATH: [join(prefix, 'bin'), dirname(NODE_24), dirname(KUBECTL), '/bin'].join(':'),
      HOME: mkdtempSync(join(tmpdir(), 'tg-home-')),
      KUBECONFIG: plane.writeKubeconfig(join(work, 'kubeconfig')),
      NO_COLOR: '1',
    };
    const help = await runExecutable(KUBECTL, ['trigger-gateway', '--help'], env);
    expect(help.stdout).toContain('$ kubectl trigger-gateway [COMMAND]');
    expect((await runExecutable(KUBECTL, ['trigger-gateway', 'install', '--no-wait'], env)).exitCode).toBe(0);
    const list = await runExecutable(KUBECTL, ['trigger-gateway', 'route', 'list'], env);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain('No routes yet');
    const completion = await runExecutable(KUBECTL, ['__complete', 'trigger-gateway', 'rou'], env);
    expect(completion.stdout.split('\n')[0]).toMatch(/^route/);
  });
});
