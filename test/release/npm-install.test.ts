/**
 * `npm install -g` of the packed package gives a working `kubectl trigger-gateway`: installed from the
 * tarball that `npm run package` publishes, offline (npm ci left every dependency in npm's cache), into a private prefix.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packNpm } from '../../.ci/package.ts';
import { REPO_ROOT, type CommandResult } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';

const NODE_24 = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
const KUBECTL = execFileSync('/bin/sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();

function run(file: string, args: string[], env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({ exitCode: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const work = mkdtempSync(join(tmpdir(), 'tg-npm-'));
const prefix = join(work, 'prefix');
let plane: ControlPlane;
let installed: CommandResult;

beforeAll(async () => {
  const tarball = join(work, packNpm(work));
  installed = await run(
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
    const help = await run(KUBECTL, ['trigger-gateway', '--help'], env);
    expect(help.stdout).toContain('$ kubectl trigger-gateway [COMMAND]');
    expect((await run(KUBECTL, ['trigger-gateway', 'install', '--no-wait'], env)).exitCode).toBe(0);
    const list = await run(KUBECTL, ['trigger-gateway', 'route', 'list'], env);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain('No routes yet');
    const completion = await run(KUBECTL, ['__complete', 'trigger-gateway', 'rou'], env);
    expect(completion.stdout.split('\n')[0]).toMatch(/^route/);
  });
});
