/**
 * The real control planes' programs, built with Go into test/real/.bin/: from test/real/go.mod
 * kube-apiserver, kube-controller-manager and kube-scheduler (Kubernetes v1.37.2), etcd (v3.7.0)
 * and our PKI tool; from test/real/kcp/go.mod the kcp server (v0.26.0, on kcp's fork of
 * Kubernetes 1.31); from test/real/krew/go.mod krew and its manifest validator (v0.4.3); from
 * test/real/gitea/go.mod the Gitea forge (v1.26.0, with sqlite and without its bundled assets).
 * Go's build cache makes a rebuild with nothing changed take seconds, so every start builds.
 *
 *   npx tsx test/real/binaries.ts    builds them all and prints the times
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from './wait.ts';
import { releaseLock, tryLock } from '../support/lock-file.ts';

export const REAL_DIR = import.meta.dirname;
export const BIN_DIR = join(REAL_DIR, '.bin');
export const KUBERNETES_VERSION = 'v1.37.2';
export const KCP_VERSION = 'v0.26.0';
/** The Kubernetes release kcp v0.26.0's fork follows. */
export const KCP_KUBERNETES_VERSION = 'v1.31.0';
export const KREW_VERSION = 'v0.4.3';
export const TEKTON_TRIGGERS_VERSION = 'v0.35.0';
/** The Tekton Pipelines release whose PipelineRun CRD the Tekton tests install (test/real/tekton/go.mod). */
export const TEKTON_PIPELINE_VERSION = 'v1.9.0';
export const GITEA_VERSION = 'v1.26.0';
export const TRAEFIK_VERSION = 'v3.6.2';

export interface RealBinaries {
  /** The folder they are in, where the node agent also finds the programs that images map to. */
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  pki: string;
  /** Our container runtime's program (cmd/container), which the node agent runs each container with. */
  container: string;
}

const PACKAGES = [
  'k8s.io/kubernetes/cmd/kube-apiserver',
  'k8s.io/kubernetes/cmd/kube-controller-manager',
  'k8s.io/kubernetes/cmd/kube-scheduler',
  './cmd/etcd',
  './cmd/pki',
  './cmd/container',
];

// What `kubectl version` and /version report; Kubernetes' own build sets the same.
const VERSION_LDFLAGS = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/component-base/version.gitMajor=1',
  '-X k8s.io/component-base/version.gitMinor=37',
].join(' ');

/** One go build: a module folder, its packages and the version stamped into them. */
interface GoPrograms {
  /** What is built, for progress lines and errors. */
  what: string;
  module: string;
  packages: string[];
  ldflags: string;
  /** A program whose absence means a first build, which takes minutes. */
  first: string;
  /** Static programs (CGO_ENABLED=0), as kcp's and krew's own builds make them. */
  static?: boolean;
  /** Go build tags. */
  tags?: string[];
}

const KUBERNETES_PROGRAMS: GoPrograms = {
  what: 'kube-apiserver, kube-controller-manager, kube-scheduler and etcd',
  module: REAL_DIR,
  packages: PACKAGES,
  ldflags: VERSION_LDFLAGS,
  first: 'kube-apiserver',
};

// kcp's Makefile stamps the same variables, as <kubernetes version>+kcp-<kcp version>.
const KCP_GIT_VERSION = `${KCP_KUBERNETES_VERSION}+kcp-${KCP_VERSION}`;
const KCP_PROGRAMS: GoPrograms = {
  what: `kcp ${KCP_VERSION}`,
  module: join(REAL_DIR, 'kcp'),
  packages: ['github.com/kcp-dev/kcp/cmd/kcp'],
  ldflags: ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${KCP_GIT_VERSION}`,
      `-X ${pkg}.gitMajor=1`,
      `-X ${pkg}.gitMinor=31`,
    ])
    .join(' '),
  first: 'kcp',
  static: true,
};

const KREW_PROGRAMS: GoPrograms = {
  what: `krew ${KREW_VERSION}`,
  module: join(REAL_DIR, 'krew'),
  packages: ['sigs.k8s.io/krew/cmd/krew', 'sigs.k8s.io/krew/cmd/validate-krew-manifest'],
  ldflags: `-X sigs.k8s.io/krew/internal/version.gitTag=${KREW_VERSION}`,
  first: 'krew',
  static: true,
};

// ko builds Tekton's images from these packages; the node agent runs `ko://…/cmd/NAME` as .bin/NAME.
const TEKTON_PROGRAMS: GoPrograms = {
  what: `Tekton Triggers ${TEKTON_TRIGGERS_VERSION}`,
  module: join(REAL_DIR, 'tekton'),
  packages: ['controller', 'eventlistenersink', 'interceptors'].map(
    (name) => `github.com/tektoncd/triggers/cmd/${name}`,
  ),
  ldflags: '',
  first: 'eventlistenersink',
  static: true,
};

// sqlite (cgo) keeps the forge in one file; without `bindata` the API is served from the module's folder.
const GITEA_TAGS = ['sqlite', 'sqlite_unlock_notify'];
const GITEA_PROGRAMS: GoPrograms = {
  what: `Gitea ${GITEA_VERSION}`,
  module: join(REAL_DIR, 'gitea'),
  packages: ['code.gitea.io/gitea'],
  // Gitea's Makefile stamps the same two variables.
  ldflags: `-X main.Version=${GITEA_VERSION.slice(1)} -X main.Tags=${GITEA_TAGS.join(',')}`,
  first: 'gitea',
  tags: GITEA_TAGS,
};

// The traefik image's program; its Makefile stamps the version the same way.
const TRAEFIK_PROGRAMS: GoPrograms = {
  what: `Traefik ${TRAEFIK_VERSION}`,
  module: join(REAL_DIR, 'traefik'),
  packages: ['github.com/traefik/traefik/v3/cmd/traefik'],
  ldflags: `-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION}`,
  first: 'traefik',
  static: true,
};

export interface KcpBinaries {
  kcp: string;
}

export interface KrewBinaries {
  krew: string;
  /** krew's own check of a plugin manifest, as krew-index runs it. */
  validateKrewManifest: string;
}

export interface GiteaBinaries {
  gitea: string;
}

export function realBinaries(dir = BIN_DIR): RealBinaries {
  return {
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    pki: join(dir, 'pki'),
    container: join(dir, 'container'),
  };
}

export function kcpBinaries(dir = BIN_DIR): KcpBinaries {
  return { kcp: join(dir, 'kcp') };
}

export function krewBinaries(dir = BIN_DIR): KrewBinaries {
  return { krew: join(dir, 'krew'), validateKrewManifest: join(dir, 'validate-krew-manifest') };
}

export function giteaBinaries(dir = BIN_DIR): GiteaBinaries {
  return { gitea: join(dir, 'gitea') };
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

/** Builds kube-apiserver, kube-controller-manager, kube-scheduler, etcd and our PKI tool into `dir`. */
export async function buildRealBinaries(
  options: BuildOptions = {},
): Promise<RealBinaries & { seconds: number }> {
  const seconds = await buildPrograms(KUBERNETES_PROGRAMS, options);
  return { ...realBinaries(options.dir ?? BIN_DIR), seconds };
}

/** Builds the kcp server into `dir`. */
export async function buildKcpBinaries(
  options: BuildOptions = {},
): Promise<KcpBinaries & { seconds: number }> {
  const seconds = await buildPrograms(KCP_PROGRAMS, options);
  return { ...kcpBinaries(options.dir ?? BIN_DIR), seconds };
}

/** Builds krew and validate-krew-manifest into `dir`. */
export async function buildKrewBinaries(
  options: BuildOptions = {},
): Promise<KrewBinaries & { seconds: number }> {
  const seconds = await buildPrograms(KREW_PROGRAMS, options);
  return { ...krewBinaries(options.dir ?? BIN_DIR), seconds };
}

/** Builds Tekton Triggers' controller, EventListener sink and core interceptors into `dir`. */
export async function buildTektonBinaries(options: BuildOptions = {}): Promise<{ seconds: number }> {
  return { seconds: await buildPrograms(TEKTON_PROGRAMS, options) };
}

/** Builds Traefik into `dir`, where the node agent runs the traefik image from. */
export async function buildTraefikBinaries(options: BuildOptions = {}): Promise<{ seconds: number }> {
  return { seconds: await buildPrograms(TRAEFIK_PROGRAMS, options) };
}

/** Builds the Gitea server into `dir`. */
export async function buildGiteaBinaries(
  options: BuildOptions = {},
): Promise<GiteaBinaries & { seconds: number }> {
  const seconds = await buildPrograms(GITEA_PROGRAMS, options);
  return { ...giteaBinaries(options.dir ?? BIN_DIR), seconds };
}

/**
 * Runs `go build` for one group of programs into `dir`; two builds at once (two test runs, a
 * sandbox) take turns through a lock file. Resolves with how long it took, waiting included.
 */
async function buildPrograms(programs: GoPrograms, options: BuildOptions): Promise<number> {
  const dir = options.dir ?? BIN_DIR;
  const go = findGo();
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.build.lock');
  const started = performance.now();
  await waitFor(
    'the other build of the real control planes to finish',
    async () => (tryLock(lock) ? true : undefined),
    {
      timeoutMs: 60 * 60_000,
      intervalMs: 1000,
    },
  );
  try {
    if (!existsSync(join(dir, programs.first)))
      options.log?.(`building ${programs.what} with Go (the first build takes several minutes)`);
    await goBuild(go, dir, programs);
    return (performance.now() - started) / 1000;
  } finally {
    releaseLock(lock);
  }
}

function goBuild(go: string, dir: string, programs: GoPrograms): Promise<void> {
  const args = [
    'build',
    '-trimpath',
    '-buildvcs=false',
    ...(programs.tags ? ['-tags', programs.tags.join(',')] : []),
    // Without the symbol table and DWARF (stack traces keep working): links take a third less time
    // (Traefik's 12 s to 8 s) and the programs are smaller by as much.
    '-ldflags',
    `-s -w ${programs.ldflags}`.trim(),
    '-o',
    `${dir}/`,
    ...programs.packages,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, {
      cwd: programs.module,
      env: programs.static ? { ...process.env, CGO_ENABLED: '0' } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
            `go ${args.join(' ')} (in ${programs.module}) failed with code ${code}:\n${output.trim().split('\n').slice(-40).join('\n')}`,
          ),
        );
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  for (const [what, build] of [
    [KUBERNETES_PROGRAMS.what, buildRealBinaries],
    [KCP_PROGRAMS.what, buildKcpBinaries],
    [KREW_PROGRAMS.what, buildKrewBinaries],
    [TEKTON_PROGRAMS.what, buildTektonBinaries],
    [GITEA_PROGRAMS.what, buildGiteaBinaries],
    [TRAEFIK_PROGRAMS.what, buildTraefikBinaries],
  ] as const) {
    const built = await build({ log });
    process.stdout.write(`built ${what} into ${BIN_DIR} in ${built.seconds.toFixed(1)}s\n`);
  }
}
