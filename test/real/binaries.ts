/**
 * The real control plane's programs, built with Go from test/real/go.mod: kube-apiserver,
 * kube-controller-manager and kube-scheduler (Kubernetes v1.37.2), etcd (v3.7.0) and our PKI tool.
 * Go's build cache makes a rebuild with nothing changed take seconds, so every start builds.
 *
 *   npx tsx test/real/binaries.ts    builds them into test/real/.bin/ and prints the time
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from './wait.ts';
import { releaseLock, tryLock } from './lock-file.ts';

export const REAL_DIR = import.meta.dirname;
export const BIN_DIR = join(REAL_DIR, '.bin');
export const KUBERNETES_VERSION = 'v1.37.2';

export interface RealBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  pki: string;
}

const PACKAGES = [
  'k8s.io/kubernetes/cmd/kube-apiserver',
  'k8s.io/kubernetes/cmd/kube-controller-manager',
  'k8s.io/kubernetes/cmd/kube-scheduler',
  './cmd/etcd',
  './cmd/pki',
];

// What `kubectl version` and /version report; Kubernetes' own build sets the same.
const VERSION_LDFLAGS = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/component-base/version.gitMajor=1',
  '-X k8s.io/component-base/version.gitMinor=37',
].join(' ');

export function realBinaries(dir = BIN_DIR): RealBinaries {
  return {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    pki: join(dir, 'pki'),
  };
}

/** The go command: on PATH, else where the go.dev tarball installs it. */
export function findGo(): string {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    if (!spawnSync(candidate, ['version'], { encoding: 'utf8' }).error) return candidate;
  }
  throw new Error(
    "the real control plane is built with Go, which is not installed: install Go 1.26 or later, from https://go.dev/dl or Debian's golang-go",
  );
}

export interface BuildOptions {
  /** Where the programs go; test/real/.bin by default. */
  dir?: string;
  /** Progress lines (the first build takes minutes). */
  log?: (line: string) => void;
}

/**
 * Runs `go build` for every program into `dir`; two builds at once (two test runs, a sandbox) take
 * turns through a lock file. Resolves with the programs' paths and how long the build took.
 */
export async function buildRealBinaries(
  options: BuildOptions = {},
): Promise<RealBinaries & { seconds: number }> {
  const dir = options.dir ?? BIN_DIR;
  const go = findGo();
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.build.lock');
  const started = performance.now();
  await waitFor(
    'the other build of the real control plane to finish',
    async () => (tryLock(lock) ? true : undefined),
    {
      timeoutMs: 60 * 60_000,
      intervalMs: 1000,
    },
  );
  try {
    const binaries = realBinaries(dir);
    if (!existsSync(binaries.kubeApiserver))
      options.log?.(
        'building kube-apiserver, kube-controller-manager, kube-scheduler and etcd with Go (the first build takes several minutes)',
      );
    await goBuild(go, dir);
    return { ...binaries, seconds: (performance.now() - started) / 1000 };
  } finally {
    releaseLock(lock);
  }
}

function goBuild(go: string, dir: string): Promise<void> {
  const args = [
    'build',
    '-trimpath',
    '-buildvcs=false',
    '-ldflags',
    VERSION_LDFLAGS,
    '-o',
    `${dir}/`,
    ...PACKAGES,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd: REAL_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A parent that exits mid-build takes the build with it.
    const stop = () => child.kill('SIGTERM');
    process.once('exit', stop);
    child.once('error', reject);
    child.once('close', (code) => {
      process.off('exit', stop);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `go ${args.join(' ')} (in ${REAL_DIR}) failed with code ${code}:\n${output.trim().split('\n').slice(-40).join('\n')}`,
          ),
        );
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await buildRealBinaries({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`built the real control plane into ${BIN_DIR} in ${built.seconds.toFixed(1)}s\n`);
}
