/**
 * Release packaging, offline: single executables that need no Node on the user's machine, their
 * archives, SHA256SUMS and the krew plugin manifest.
 *
 *   npm run package [-- --out release] [--release-url https://…/releases/download/v0.1.0] [--target linux-x64 …]
 *
 * Each executable is a Node runtime from .ci/runtimes (installed by `npm ci`, pinned to the Node this
 * repo runs on) with dist/ attached as a single executable application: src/sea/main.ts is its entry
 * point, the CLI's files are its assets. Linux only: a macOS executable must be signed again after the
 * assets are attached, and there is no codesign here (see the README).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { inject } from 'postject';
import { PRERENDERED_HELP_FILE } from '../src/root-help.ts';
import { digestOf, type AppIndex } from '../src/sea/unpack.ts';
import { REPO_ROOT } from './build.ts';
import {
  krewManifest,
  krewManifestProblems,
  krewManifestYaml,
  type KrewPlatform,
  type KrewRelease,
} from './release/krew.ts';
import { tarGz, type TarEntry } from './release/tar.ts';

export interface Target {
  os: 'linux';
  /** Node's name for the architecture. */
  arch: 'x64' | 'arm64';
}

export const TARGETS: Target[] = [
  { os: 'linux', arch: 'x64' },
  { os: 'linux', arch: 'arm64' },
];

/** krew and Go name x64 amd64. */
export const krewArch = (arch: Target['arch']) => (arch === 'x64' ? 'amd64' : arch);
export const targetName = (target: Target) => `${target.os}-${target.arch}`;
export const PLUGIN_BIN = 'kubectl-trigger_gateway';
export const COMPLETION_BIN = 'kubectl_complete-trigger_gateway';
/** Node's marker that a runtime carries an application; fixed by Node, see its single-executable docs. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

interface PackageJson {
  name: string;
  version: string;
  homepage?: string;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The runtime to build `target` on, or why there is none. */
function runtimeFor(target: Target, runtimesDir: string): { path: string } | { missing: string } {
  const dir = join(runtimesDir, `node-${target.os}-${target.arch}`);
  if (!existsSync(join(dir, 'bin', 'node')))
    return {
      missing: `its Node runtime is not installed (npm ci installs .ci/runtimes; run it again with access to the npm registry)`,
    };
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  // The blob is made by the Node running this script; the runtime must read the same format.
  if (version !== process.versions.node)
    return {
      missing: `its runtime is Node ${version} but this script runs on Node ${process.versions.node}; pin both to one version`,
    };
  return { path: join(dir, 'bin', 'node') };
}

/** package.json as users get it: without what only this repository uses (scripts, dev dependencies). */
function publishedPackageJson(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const { scripts: _scripts, devDependencies: _dev, allowScripts: _allow, ...published } = pkg;
  return `${JSON.stringify(published, null, 2)}\n`;
}

/** The files the executable carries: what the npm package runs, minus what only npm needs. */
function appFiles(): { path: string; content: Uint8Array; mode: number }[] {
  const fromRepo = [
    ...globSync('dist/**/*.js', { cwd: REPO_ROOT }),
    ...globSync('manifests/**/*.yaml', { cwd: REPO_ROOT }),
    PRERENDERED_HELP_FILE,
    'oclif.manifest.json',
    'bin/run.js',
  ].sort();
  return [
    ...fromRepo.map((path) => ({ path, content: readFileSync(join(REPO_ROOT, path)), mode: 0o644 })),
    { path: 'package.json', content: Buffer.from(publishedPackageJson()), mode: 0o644 },
  ];
}

/** The application blob: entry point, index and files, made by this Node. */
async function seaBlob(pkg: PackageJson, work: string): Promise<Buffer> {
  const files = appFiles();
  const index: AppIndex = {
    version: pkg.version,
    digest: digestOf(files),
    files: files.map(({ path, mode }) => ({ path, mode })),
  };
  const assets: Record<string, string> = { 'index.json': join(work, 'index.json') };
  writeFileSync(assets['index.json'] as string, JSON.stringify(index));
  for (const file of files) {
    const path = join(work, 'app', file.path);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, file.content);
    assets[file.path] = path;
  }
  await build({
    entryPoints: [join(REPO_ROOT, 'src', 'sea', 'main.ts')],
    outfile: join(work, 'main.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    logLevel: 'warning',
  });
  const config = {
    main: join(work, 'main.cjs'),
    output: join(work, 'app.blob'),
    disableExperimentalSEAWarning: true,
    // Both are tied to the exact V8 build and CPU that made them: no use across architectures.
    useSnapshot: false,
    useCodeCache: false,
    assets,
  };
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config));
  execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], {
    stdio: 'pipe',
  });
  return readFileSync(config.output);
}

const COMPLETION_SCRIPT = `#!/bin/sh
# kubectl (1.26+) runs kubectl_complete-<plugin> to complete \`kubectl trigger-gateway …\` in bash and zsh.
# ${PLUGIN_BIN} is on PATH beside this file, or kubectl would not find the plugin either.
exec ${PLUGIN_BIN} __complete "$@"
`;

function sourceDateEpoch(): number {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(
      execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
    );
  } catch {
    return 0;
  }
}

/**
 * `npm pack` of what the package publishes, with a package.json that keeps no scripts: npm warns about
 * any package with install-time scripts, and ours (prepare) only set up this repository.
 * Returns the tarball's file name in `out`.
 */
export function packNpm(out: string, work = mkdtempSync(join(tmpdir(), 'tg-pack-'))): string {
  const staged = join(work, 'npm-package');
  mkdirSync(staged, { recursive: true });
  const { files } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const path of [...files, 'README.md', 'LICENSE'])
    cpSync(join(REPO_ROOT, path), join(staged, path), { recursive: true });
  writeFileSync(join(staged, 'package.json'), publishedPackageJson());
  const packed = JSON.parse(
    execFileSync('npm', ['pack', staged, '--json', '--pack-destination', out], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string }[];
  return packed[0]?.filename ?? '';
}

export interface PackageResult {
  archives: { target: Target; file: string; sha256: string; bytes: number }[];
  skipped: { target: Target; reason: string }[];
  manifest: string;
  sums: string;
  /** The npm pack tarball's file name. */
  npmPackage: string;
}

export async function packageRelease(options: {
  out: string;
  releaseUrl?: string;
  targets: Target[];
  /** Where the runtime packages are installed: .ci/runtimes/node_modules unless a test says otherwise. */
  runtimesDir?: string;
}): Promise<PackageResult> {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const version = `v${pkg.version}`;
  const releaseUrl = (options.releaseUrl ?? `${pkg.homepage}/releases/download/${version}`).replace(
    /\/$/,
    '',
  );
  // krew downloads from any URL; ours refuses plain http for what users run (not a krew rule).
  if (!/^https:\/\/\S+$/.test(releaseUrl))
    throw new Error(
      `--release-url ${releaseUrl} is not an https URL: the archives that krew downloads and runs are served over https only`,
    );
  const work = mkdtempSync(join(tmpdir(), 'tg-package-'));
  const license = readFileSync(join(REPO_ROOT, 'LICENSE'));
  const readme = readFileSync(join(REPO_ROOT, 'README.md'));
  const mtime = sourceDateEpoch();
  // Written beside `out` and renamed into place at the end: a failed run leaves the last release as it was.
  mkdirSync(dirname(resolve(options.out)), { recursive: true });
  const staged = mkdtempSync(`${resolve(options.out)}.partial-`);
  const result: PackageResult = { archives: [], skipped: [], manifest: '', sums: '', npmPackage: '' };
  try {
    const blob = await seaBlob(pkg, work);
    for (const target of options.targets) {
      const runtime = runtimeFor(
        target,
        options.runtimesDir ?? join(REPO_ROOT, '.ci', 'runtimes', 'node_modules'),
      );
      if ('missing' in runtime) {
        result.skipped.push({ target, reason: runtime.missing });
        continue;
      }
      const executable = join(work, targetName(target), PLUGIN_BIN);
      mkdirSync(join(executable, '..'), { recursive: true });
      copyFileSync(runtime.path, executable);
      chmodSync(executable, 0o755);
      await inject(executable, 'NODE_SEA_BLOB', blob, { sentinelFuse: SEA_FUSE });
      const entries: TarEntry[] = [
        { path: PLUGIN_BIN, content: readFileSync(executable), mode: 0o755 },
        { path: COMPLETION_BIN, content: Buffer.from(COMPLETION_SCRIPT), mode: 0o755 },
        { path: 'LICENSE', content: license, mode: 0o644 },
        { path: 'README.md', content: readme, mode: 0o644 },
      ];
      const archive = tarGz(entries, mtime);
      const file = `${pkg.name}_${version}_${target.os}_${krewArch(target.arch)}.tar.gz`;
      writeFileSync(join(staged, file), archive);
      result.archives.push({ target, file, sha256: sha256(archive), bytes: archive.byteLength });
    }
    if (result.archives.length === 0) {
      const reasons = result.skipped.map((skip) => `${targetName(skip.target)}: ${skip.reason}`);
      throw new Error(`no executable could be built (${reasons.join('; ')})`);
    }
    // The npm package too, for `npm install -g <url>` where Node is at hand (macOS, for one).
    result.npmPackage = packNpm(staged, work);
    const sums = [
      ...result.archives.map((archive) => ({ file: archive.file, sha256: archive.sha256 })),
      { file: result.npmPackage, sha256: sha256(readFileSync(join(staged, result.npmPackage))) },
    ];
    result.sums = sums.map((entry) => `${entry.sha256}  ${entry.file}\n`).join('');
    writeFileSync(join(staged, 'SHA256SUMS'), result.sums);
    const platforms: KrewPlatform[] = result.archives.map((archive) => ({
      os: archive.target.os,
      arch: krewArch(archive.target.arch),
      uri: `${releaseUrl}/${archive.file}`,
      sha256: archive.sha256,
      bin: PLUGIN_BIN,
    }));
    const release: KrewRelease = {
      name: 'trigger-gateway',
      version,
      homepage: pkg.homepage ?? releaseUrl,
      shortDescription: 'Expose Tekton Triggers through an HAProxy gateway',
      description:
        'Installs an HAProxy gateway in front of Tekton Triggers EventListeners, manages its\n' +
        'path routes, sends signed test webhooks through it and shows its live status.\n' +
        'Works on Kubernetes and in kcp workspaces.\n',
      caveats:
        'Shell completion: krew links only kubectl-trigger_gateway. For completion of\n' +
        '`kubectl trigger-gateway …` in bash or zsh (kubectl 1.26+), put\n' +
        'kubectl_complete-trigger_gateway from the release archive on your PATH.\n',
      platforms,
    };
    // Checked by krew's rules before it is written: a --release-url krew would refuse stops here.
    const problems = krewManifestProblems(release.name, krewManifest(release));
    if (problems.length > 0)
      throw new Error(`the krew manifest would be invalid: ${problems.join('; ')} (check --release-url)`);
    result.manifest = krewManifestYaml(release);
    writeFileSync(join(staged, 'trigger-gateway.yaml'), result.manifest);
    rmSync(options.out, { recursive: true, force: true });
    renameSync(staged, options.out);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(staged, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(REPO_ROOT, 'release') },
      'release-url': { type: 'string' },
      target: { type: 'string', multiple: true },
    },
  });
  const wanted = values.target ?? TARGETS.map(targetName);
  const unknown = wanted.filter((name) => !TARGETS.some((target) => targetName(target) === name));
  if (unknown.length) {
    console.error(
      `error: unknown target ${unknown.join(', ')}; known: ${TARGETS.map(targetName).join(', ')}`,
    );
    process.exit(2);
  }
  try {
    const started = Date.now();
    const result = await packageRelease({
      out: values.out,
      releaseUrl: values['release-url'],
      targets: TARGETS.filter((target) => wanted.includes(targetName(target))),
    });
    for (const archive of result.archives)
      console.log(
        `${relative(process.cwd(), join(values.out, archive.file))}  ${(archive.bytes / 2 ** 20).toFixed(1)} MiB  sha256 ${archive.sha256}`,
      );
    for (const skip of result.skipped) console.log(`skipped ${targetName(skip.target)}: ${skip.reason}`);
    for (const file of [result.npmPackage, 'SHA256SUMS', 'trigger-gateway.yaml'])
      console.log(relative(process.cwd(), join(values.out, file)));
    console.log(`packaged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(1);
  }
}
