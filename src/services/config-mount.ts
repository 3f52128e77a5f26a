/**
 * Where a gateway's haproxy reads its haproxy.cfg, found from its Deployment the way the image and
 * the kubelet lay it out: the container that runs haproxy, the file its -f names (or the image's
 * default), the volume mount that covers that path (a directory, a subPath, items under other names),
 * and the ConfigMap key the mount shows there. Pure: the Deployment and the ConfigMap's keys in, the
 * layout out.
 *
 * Route edits change the haproxy.cfg key of one ConfigMap, so they reach the pods only when haproxy
 * loads that key as mounted. Anything else (a copy an init container makes, an emptyDir, a config
 * assembled from several files, a shell that starts haproxy) is refused before anything is written,
 * naming what was found.
 */
import { posix } from 'node:path';
import { ExitCode, GatewayError } from '../errors.ts';
import { isMapPath } from '../haproxy/routes.ts';
import { CONFIG_KEY } from '../manifests/render.ts';
import type { KubeObject } from '../manifests/types.ts';

/** The config path of the official haproxy image and of haproxytech's, whose CMD is `haproxy -f` it. */
export const IMAGE_CONFIG_PATH = '/usr/local/etc/haproxy/haproxy.cfg';
const IMAGE_COMMAND = ['haproxy', '-f', IMAGE_CONFIG_PATH];
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  subPathExpr?: string;
}

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  volumeMounts?: VolumeMount[];
}

interface Volume {
  name: string;
  configMap?: { name?: string; items?: Array<{ key: string; path: string }> };
  [source: string]: unknown;
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}

/** The ConfigMap whose haproxy.cfg the tool edits. */
export interface ConfigMapRef {
  name: string;
  namespace: string;
  keys: readonly string[];
}

/** How the container that runs haproxy sees the gateway's ConfigMap. */
export interface ConfigMount {
  container: string;
  /** The file haproxy loads (the haproxy.cfg key), as the container sees it. */
  configPath: string;
  /** Where volumes of the ConfigMap are mounted in that container: directories, or files for subPath mounts. */
  mountPaths: string[];
  /** Every key of the ConfigMap the container sees, at the path it sees it. */
  files: Array<{ path: string; key: string }>;
}

const trimSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
const covers = (mountPath: string, path: string) => path === mountPath || path.startsWith(`${mountPath}/`);

class LayoutReader {
  constructor(
    private readonly deployment: string,
    private readonly spec: PodSpec,
    private readonly configMap: ConfigMapRef,
  ) {}

  /** The layout's error: what was found, why the tool cannot edit it, and what to change. */
  fail(container: string | undefined, found: string, why: string): never {
    const { name, namespace } = this.configMap;
    throw new GatewayError(`deployment/${this.deployment}: ${found}`, {
      why: `${why}; route edits change key ${CONFIG_KEY} of configmap/${name}, so nothing was written`,
      next: [
        `mount configmap/${name} in container ${container ?? '<the haproxy container>'} (a directory, or ${CONFIG_KEY} with subPath) and start haproxy with -f on that file`,
        `kubectl -n ${namespace} edit deployment ${this.deployment}`,
      ],
      exitCode: ExitCode.clusterState,
    });
  }

  /** haproxy's command line, with the image's entrypoint and CMD when the container does not set them. */
  argv(container: Container): string[] {
    if (container.command) return [...container.command, ...(container.args ?? [])];
    // Another image's CMD is unknown here; its args are all there is to go by.
    if (!(container.image ?? '').includes('haproxy')) return container.args ?? [];
    const args = container.args ?? IMAGE_COMMAND;
    return args[0]?.startsWith('-') ? ['haproxy', ...args] : args;
  }

  runsHaproxy(container: Container): boolean {
    const program = posix.basename(this.argv(container)[0] ?? '');
    return program === 'haproxy' || (container.image ?? '').includes('haproxy');
  }

  /** The one file haproxy loads (-f, or the files after --), absolute. */
  configFile(container: Container): string {
    const argv = this.argv(container);
    const program = posix.basename(argv[0] ?? '');
    const command = argv.join(' ');
    if (SHELLS.has(program)) {
      this.fail(
        container.name,
        `container ${container.name} starts haproxy through a shell: ${command}`,
        'which file that shell makes haproxy load cannot be read from the Deployment',
      );
    }
    if (program !== 'haproxy') {
      this.fail(
        container.name,
        `container ${container.name} runs ${command}, not haproxy itself`,
        'which file haproxy loads cannot be read from the Deployment',
      );
    }
    const files: string[] = [];
    let directory = container.workingDir;
    for (let at = 1; at < argv.length; at++) {
      const word = argv[at] as string;
      if (word === '--') {
        files.push(...argv.slice(at + 1));
        break;
      }
      if (word === '-f' || word === '-C') {
        const value = argv[++at];
        if (value === undefined) break;
        if (word === '-f') files.push(value);
        else directory = value;
      }
    }
    if (files.length === 0) {
      this.fail(
        container.name,
        `container ${container.name} starts haproxy without -f: ${command}`,
        'haproxy loads no config file',
      );
    }
    if (files.length > 1) {
      this.fail(
        container.name,
        `container ${container.name} assembles its config from several files: ${files.join(', ')}`,
        `the tool edits one file, ${CONFIG_KEY}, and cannot tell how the others combine with it`,
      );
    }
    const file = files[0] as string;
    if (file.startsWith('/')) return trimSlash(posix.normalize(file));
    if (directory === undefined) {
      this.fail(
        container.name,
        `container ${container.name} loads the relative path ${file}`,
        "the directory it is relative to is the image's, which the Deployment does not say",
      );
    }
    return trimSlash(posix.join(directory, file));
  }

  /** The volume behind a path: the deepest mount covering it, as the kernel resolves it. */
  mountAt(container: Container, path: string): VolumeMount | undefined {
    return (container.volumeMounts ?? [])
      .filter((mount) => covers(trimSlash(mount.mountPath), path))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  }

  isOurs(volume: Volume | undefined): volume is Volume & { configMap: NonNullable<Volume['configMap']> } {
    return volume?.configMap?.name === this.configMap.name;
  }

  /** The files of the ConfigMap volume, by their path in the volume. */
  projection(
    volume: Volume & { configMap: NonNullable<Volume['configMap']> },
  ): Array<{ path: string; key: string }> {
    return (
      volume.configMap.items?.map((item) => ({ path: posix.normalize(item.path), key: item.key })) ??
      this.configMap.keys.map((key) => ({ path: key, key }))
    ).filter((file) => this.configMap.keys.includes(file.key));
  }

  describeVolume(volume: Volume | undefined, name: string): string {
    if (!volume) return `volume ${name}, which the pod does not define`;
    if (volume.configMap) return `volume ${name} (configmap/${volume.configMap.name ?? ''})`;
    const source = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown source';
    const detail = (volume[source] as { name?: string; secretName?: string } | undefined) ?? {};
    const named = detail.secretName ?? detail.name;
    return `volume ${name} (${source}${named ? ` ${named}` : ''})`;
  }

  /** Where the ConfigMap is, when haproxy does not read it: copied by an init container, mounted elsewhere, or nowhere. */
  whereOursIs(container: Container): string {
    const { name } = this.configMap;
    const volumes = (this.spec.volumes ?? [])
      .filter((volume) => this.isOurs(volume))
      .map((volume) => volume.name);
    const mounting = (one: Container) =>
      (one.volumeMounts ?? []).find((mount) => volumes.includes(mount.name));
    if (volumes.length === 0) return `the pods have no volume of configmap/${name}`;
    const init = (this.spec.initContainers ?? []).find((one) => mounting(one));
    if (init) {
      return `init container ${init.name} mounts configmap/${name}, so that file is a copy made at start, which a ConfigMap edit never reaches`;
    }
    const own = mounting(container);
    if (own)
      return `container ${container.name} mounts configmap/${name} at ${own.mountPath}, but haproxy loads no ${CONFIG_KEY} from there`;
    const other = (this.spec.containers ?? []).find((one) => mounting(one));
    return other
      ? `only container ${other.name} mounts configmap/${name}`
      : `no container mounts configmap/${name}`;
  }

  /** The layout of one container, or its error. */
  read(container: Container): ConfigMount {
    const configFile = this.configFile(container);
    const { name } = this.configMap;
    const mount = this.mountAt(container, configFile);
    const volume = (this.spec.volumes ?? []).find((one) => one.name === mount?.name);
    if (!mount || !this.isOurs(volume)) {
      const where = mount
        ? `from ${this.describeVolume(volume, mount.name)} mounted at ${mount.mountPath}`
        : 'from its image (no volume is mounted there)';
      this.fail(
        container.name,
        `container ${container.name} reads ${configFile} ${where}, not from configmap/${name}`,
        this.whereOursIs(container),
      );
    }
    if (mount.subPathExpr !== undefined) {
      this.fail(
        container.name,
        `container ${container.name} mounts ${mount.name} with subPathExpr ${mount.subPathExpr}`,
        "the path it shows depends on each pod's environment",
      );
    }
    const mountPath = trimSlash(mount.mountPath);
    const inVolume = posix
      .join(mount.subPath ?? '', configFile.slice(mountPath.length))
      .replace(/^\/+|\/+$/g, '');
    const projection = this.projection(volume);
    const shown = projection.map((file) => file.path).join(', ') || 'no keys';
    let file = projection.find((one) => one.path === inVolume);
    let configPath = configFile;
    if (!file) {
      // -f on a directory: haproxy loads every *.cfg file in it.
      const inDirectory = projection.filter(
        (one) => posix.dirname(one.path) === (inVolume || '.') && one.path.endsWith('.cfg'),
      );
      if (inDirectory.length > 1) {
        this.fail(
          container.name,
          `container ${container.name} loads every .cfg file in ${configFile}: ${inDirectory.map((one) => one.key).join(', ')} of configmap/${name}`,
          `the tool edits one file, ${CONFIG_KEY}, and cannot tell how the others combine with it`,
        );
      }
      file = inDirectory[0];
      if (!file) {
        this.fail(
          container.name,
          `container ${container.name} reads ${configFile}, which configmap/${name} does not hold as mounted at ${mount.mountPath} (it shows ${shown})`,
          'haproxy would find no such file',
        );
      }
      configPath = `${configFile}/${posix.basename(file.path)}`;
    }
    if (file.key !== CONFIG_KEY) {
      this.fail(
        container.name,
        `container ${container.name} reads ${configPath}, which is key ${file.key} of configmap/${name}`,
        `the tool edits key ${CONFIG_KEY}`,
      );
    }
    if (!isMapPath(configPath)) {
      this.fail(
        container.name,
        `container ${container.name} reads ${configPath}`,
        'HAProxy cannot read a route map from a path with such characters unquoted',
      );
    }
    return { container: container.name, configPath, ...this.visible(container) };
  }

  /** Every file of the ConfigMap the container sees, and where its volumes are mounted. */
  visible(container: Container): Pick<ConfigMount, 'mountPaths' | 'files'> {
    const mountPaths: string[] = [];
    const files: ConfigMount['files'] = [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = (this.spec.volumes ?? []).find((one) => one.name === mount.name);
      if (!this.isOurs(volume)) continue;
      const mountPath = trimSlash(mount.mountPath);
      const subPath = (mount.subPath ?? '').replace(/^\/+|\/+$/g, '');
      mountPaths.push(mountPath);
      for (const file of this.projection(volume)) {
        if (subPath === '' || covers(subPath, file.path)) {
          files.push({
            path: trimSlash(posix.join(mountPath, file.path.slice(subPath.length))),
            key: file.key,
          });
        }
      }
    }
    return { mountPaths, files };
  }
}

/**
 * The layout haproxy reads its config through in `deployment`'s pods, or a GatewayError (exit code 7)
 * naming the container, volume and path found when route edits could not reach it.
 */
export function findConfigMount(deployment: KubeObject, configMap: ConfigMapRef): ConfigMount {
  const spec =
    ((deployment.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec as
      PodSpec | undefined) ?? {};
  const reader = new LayoutReader(deployment.metadata.name, spec, configMap);
  const containers = spec.containers ?? [];
  const candidates = containers.filter((container) => reader.runsHaproxy(container));
  if (candidates.length === 0) {
    const found = containers
      .map((container) => `${container.name} (${container.image ?? 'no image'})`)
      .join(', ');
    reader.fail(
      undefined,
      `no container runs haproxy (containers: ${found || 'none'})`,
      'the gateway pods run no HAProxy that could read routes',
    );
  }
  const errors: unknown[] = [];
  for (const container of candidates) {
    try {
      return reader.read(container);
    } catch (error) {
      errors.push(error);
    }
  }
  throw errors[0];
}
