/**
 * The release installed by the real krew (v0.4.3, built from test/real/krew/go.mod): `npm run
 * package`, then `krew install --manifest --archive` into a private KREW_ROOT, the plugin run by
 * kubectl through krew's link, and `krew uninstall`. krew's own validate-krew-manifest judges the
 * manifest, and the cases of our copy of its rules (.ci/release/krew.ts).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krewManifest, krewManifestProblems } from '../../.ci/release/krew.ts';
import Install from '../../src/commands/install.ts';
import { type CommandResult, KUBECTL, REPO_ROOT, runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { buildKrewBinaries, type KrewBinaries } from './binaries.ts';
import { SAMPLE_KREW_RELEASE } from '../support/krew-release.ts';

const OUT = mkdtempSync(join(tmpdir(), 'tg-krew-release-'));
const ARCHIVE = join(OUT, 'kubectl-trigger-gateway_v0.1.0_linux_amd64.tar.gz');
const MANIFEST = join(OUT, 'trigger-gateway.yaml');

let krew: KrewBinaries;
let packaged: CommandResult;
let plane: ControlPlane;

beforeAll(async () => {
  krew = await buildKrewBinaries({ log: (line) => process.stderr.write(`[krew] ${line}\n`) });
  packaged = await runExecutable(
    'npm',
    ['run', 'package', '--', '--out', OUT, '--target', 'linux-x64'],
    { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir() },
    { cwd: REPO_ROOT },
  );
  plane = await startControlPlane();
}, 600_000);

afterAll(async () => {
  await plane?.stop();
});

/** krew with a KREW_ROOT of its own, offline: no upgrade check, no index (--manifest needs none). */
function krewIn(root: string) {
  const env = {
    KREW_ROOT: root,
    KREW_NO_UPGRADE_CHECK: '1',
    PATH: `${join(root, 'bin')}:/usr/bin:/bin`,
  };
  return {
    env,
    run: (...args: string[]) => runExecutable(krew.krew, args, env),
  };
}

/**
 * A plugin index in a local git repository, as krew-index would hold the release's manifest: list
 * and uninstall refuse to run without an index, and the default one is cloned from GitHub.
 */
function localIndex(): string {
  const repo = mkdtempSync(join(tmpdir(), 'tg-krew-index-'));
  mkdirSync(join(repo, 'plugins'));
  copyFileSync(MANIFEST, join(repo, 'plugins', 'trigger-gateway.yaml'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
      cwd: repo,
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'trigger-gateway');
  return repo;
}

const validate = (manifest: string) =>
  runExecutable(krew.validateKrewManifest, ['-manifest', manifest, '-skip-install']);

describe('the release installed with krew', () => {
  it('npm run package writes the archive and a manifest that krew validates', async () => {
    expect(packaged.exitCode, packaged.stderr).toBe(0);
    expect(existsSync(ARCHIVE)).toBe(true);
    const verdict = await validate(MANIFEST);
    expect(verdict.stderr).not.toMatch(/error|failed/i);
    expect(verdict.exitCode).toBe(0);
  });

  it('krew install links the plugin; kubectl runs --help and route list through it; krew uninstall removes it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tg-krew-root-'));
    const { env, run } = krewIn(root);
    const indexAdded = await run('index', 'add', 'local', localIndex());
    expect(indexAdded.stderr).not.toMatch(/error/i);
    expect(indexAdded.exitCode).toBe(0);
    const installed = await run('install', `--manifest=${MANIFEST}`, `--archive=${ARCHIVE}`);
    expect(installed.stderr).toContain('Installed plugin: trigger-gateway');
    expect(installed.exitCode).toBe(0);
    const listed = await run('list');
    expect(listed.stdout).toContain('trigger-gateway');
    // The LICENSE beside the executable, as krew-index requires.
    expect(existsSync(join(root, 'store', 'trigger-gateway', 'v0.1.0', 'LICENSE'))).toBe(true);

    // Only krew's bin and kubectl on PATH: no Node, no repository bin/.
    const kubectlDir = mkdtempSync(join(tmpdir(), 'tg-krew-kubectl-'));
    symlinkSync(KUBECTL, join(kubectlDir, 'kubectl'));
    const kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-krew-')), 'kubeconfig'));
    expect((await runCommand(Install, ['--kubeconfig', kubeconfig])).exitCode).toBe(0);
    const kubectl = (...args: string[]) =>
      runExecutable('kubectl', args, { ...env, PATH: `${env.PATH}:${kubectlDir}`, KUBECONFIG: kubeconfig });

    const help = await kubectl('trigger-gateway', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('kubectl trigger-gateway');
    const routes = await kubectl('trigger-gateway', 'route', 'list');
    expect(routes.stderr).toBe('');
    expect(routes.exitCode).toBe(0);
    expect(routes.stdout).toMatch(/PATH|no routes/i);

    const uninstalled = await run('uninstall', 'trigger-gateway');
    expect(uninstalled.exitCode).toBe(0);
    expect(existsSync(join(root, 'bin', 'kubectl-trigger_gateway'))).toBe(false);
    const gone = await kubectl('trigger-gateway', '--help');
    expect(gone.exitCode).not.toBe(0);
  });
});

const RELEASE = SAMPLE_KREW_RELEASE;

type Spec = Record<string, unknown> & { platforms: Record<string, unknown>[] };
const changed = (change: (spec: Spec) => void) => {
  const manifest = structuredClone(krewManifest(RELEASE)) as { spec: Spec };
  change(manifest.spec);
  return manifest;
};

describe("our copy of krew's rules agrees with krew's validate-krew-manifest", () => {
  const cases: Array<[string, string, unknown]> = [
    ['a valid manifest', 'trigger-gateway', krewManifest(RELEASE)],
    ['a name that is not the file name', 'other-name', krewManifest(RELEASE)],
    ['a version without v', 'trigger-gateway', changed((s) => (s.version = '1.2.3'))],
    ['a two-line short description', 'trigger-gateway', changed((s) => (s.shortDescription = 'a\nb'))],
    ['no short description', 'trigger-gateway', changed((s) => delete s.shortDescription)],
    ['no platforms', 'trigger-gateway', changed((s) => (s.platforms = []))],
    ['a bad sha256', 'trigger-gateway', changed((s) => (s.platforms[0]!.sha256 = 'ABC'))],
    [
      'a plain-http uri (krew accepts it)',
      'trigger-gateway',
      changed((s) => (s.platforms[0]!.uri = 'http://x/y')),
    ],
    ['no uri', 'trigger-gateway', changed((s) => delete s.platforms[0]!.uri)],
    ['no bin', 'trigger-gateway', changed((s) => delete s.platforms[0]!.bin)],
    ['empty files', 'trigger-gateway', changed((s) => (s.platforms[0]!.files = []))],
    [
      'two platforms selecting the same os and arch',
      'trigger-gateway',
      changed((s) => (s.platforms[1]!.selector = { matchLabels: { os: 'linux', arch: 'amd64' } })),
    ],
    [
      'a selector no platform matches',
      'trigger-gateway',
      changed((s) => (s.platforms[0]!.selector = { matchLabels: { os: 'plan9', arch: 'amd64' } })),
    ],
    ['another apiVersion', 'trigger-gateway', { ...krewManifest(RELEASE), apiVersion: 'v1' }],
  ];

  it.each(cases)('%s', async (_name, fileName, manifest) => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-krew-rules-'));
    const file = join(dir, `${fileName}.yaml`);
    writeFileSync(file, dump(manifest));
    const krewVerdict = await validate(file);
    const ours = krewManifestProblems(fileName, load(readFileSync(file, 'utf8')));
    // krew's verdict is its exit code; its reason is the klog line starting with F (fatal).
    const krewReason = krewVerdict.stderr.split('\n').find((line) => line.startsWith('F')) ?? '';
    expect({ accepted: krewVerdict.exitCode === 0, krewReason, ours }).toEqual({
      accepted: ours.length === 0,
      krewReason: ours.length === 0 ? '' : expect.any(String),
      ours: expect.any(Array),
    });
  });
});
