/**
 * The images this node can run, and how: the node pulls nothing, so each image a test uses is
 * mapped to programs of this machine placed where the image has them, with the image's ENTRYPOINT,
 * CMD, ENV, WORKDIR and USER. A container's root filesystem is the host's own (see cmd/container),
 * so what the programs need from it (a shell, libc, CA certificates) is there.
 *
 * - `ko://IMPORT/PATH/cmd/NAME`: what ko builds from a Go main package (Tekton's config/ names its
 *   images that way): the program built into test/real/.bin/NAME, at /ko-app/NAME.
 * - `…/haproxy:TAG`: the official HAProxy image, running this machine's HAProxy (Debian's).
 * - `…/mendhak/http-https-echo:TAG`: our stand-in echo server (test/support), run by this Node.js.
 * - `…/traefik:TAG`: the official Traefik image, running Traefik built into test/real/.bin/traefik.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultHaproxy } from '../../support/control-plane/data-plane/index.ts';

export interface Image {
  /** What runs, given the container's command and args (Kubernetes' rules on ENTRYPOINT and CMD). */
  argv(command: string[] | undefined, args: string[] | undefined): string[];
  env: string[];
  workingDir: string;
  /** The image's USER, when it names a numeric one. */
  user?: { uid: number; gid: number };
  /** Host programs and files placed into the image. */
  files: Array<{ source: string; target: string }>;
}

const ECHO_SERVER = fileURLToPath(
  new URL('../../support/control-plane/data-plane/echo-server.mjs', import.meta.url),
);
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** ENTRYPOINT and CMD as a runtime combines them with a container's command and args. */
function combine(entrypoint: string[], cmd: string[]) {
  return (command: string[] | undefined, args: string[] | undefined): string[] => {
    if (command && command.length > 0) return [...command, ...(args ?? [])];
    return [...entrypoint, ...(args && args.length > 0 ? args : cmd)];
  };
}

function koImage(name: string, bin: string): Image | undefined {
  const program = join(bin, name);
  if (!existsSync(program)) return undefined;
  return {
    argv: combine([`/ko-app/${name}`], []),
    env: [`${DEFAULT_PATH}:/ko-app`, 'KO_DATA_PATH=/var/run/ko'],
    workingDir: '/',
    // ko's default base image (distroless static) runs as nonroot.
    user: { uid: 65532, gid: 65532 },
    files: [{ source: program, target: `/ko-app/${name}` }],
  };
}

/** The official image's docker-entrypoint.sh: flags go to haproxy, and haproxy runs with -W -db. */
function haproxyImage(): Image {
  const plain = combine([], ['haproxy', '-f', '/usr/local/etc/haproxy/haproxy.cfg']);
  return {
    argv: (command, args) => {
      if (command && command.length > 0) return plain(command, args);
      let argv = plain(undefined, args);
      if (argv[0]?.startsWith('-')) argv = ['haproxy', ...argv];
      return argv[0] === 'haproxy' ? ['haproxy', '-W', '-db', ...argv.slice(1)] : argv;
    },
    env: [DEFAULT_PATH],
    workingDir: '/var/lib/haproxy',
    user: { uid: 99, gid: 99 },
    files: [{ source: defaultHaproxy(), target: '/usr/local/sbin/haproxy' }],
  };
}

function echoImage(): Image {
  return {
    argv: combine([], ['node', './index.mjs']),
    // Our stand-in binds POD_IP; the image listens on every address of the pod.
    env: [DEFAULT_PATH, 'POD_IP=0.0.0.0'],
    workingDir: '/app',
    user: { uid: 1000, gid: 1000 },
    files: [
      { source: process.execPath, target: '/usr/local/bin/node' },
      { source: ECHO_SERVER, target: '/app/index.mjs' },
    ],
  };
}

/** The official image's entrypoint.sh: flags go to traefik. */
function traefikImage(bin: string): Image | undefined {
  const program = join(bin, 'traefik');
  if (!existsSync(program)) return undefined;
  const plain = combine(['/entrypoint.sh'], ['traefik']);
  return {
    argv: (command, args) => {
      const argv = plain(command, args);
      if (argv[0] !== '/entrypoint.sh') return argv;
      const rest = argv.slice(1);
      return rest[0]?.startsWith('-') ? ['traefik', ...rest] : rest;
    },
    env: [DEFAULT_PATH],
    workingDir: '/',
    files: [{ source: program, target: '/usr/local/bin/traefik' }],
  };
}

/** The image, or undefined when this node cannot run it (the kubelet would fail to pull it). */
export function imageFor(reference: string, bin: string): Image | undefined {
  if (reference.startsWith('ko://')) return koImage(basename(reference), bin);
  const repository = reference.replace(/[:@].*$/, '');
  if (/(^|\/)haproxy$/.test(repository)) return haproxyImage();
  if (/(^|\/)mendhak\/http-https-echo$/.test(repository)) return echoImage();
  if (/(^|\/)traefik$/.test(repository)) return traefikImage(bin);
  return undefined;
}
