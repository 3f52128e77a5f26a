/**
 * A pod's volumes, made on the node as the kubelet's volume manager makes them: configMap and
 * secret volumes with their items and modes, emptyDir, downwardAPI, and projected volumes, whose
 * serviceAccountToken source is a TokenRequest bound to the pod (the kubelet's way: the pod's own
 * ServiceAccount, so its RBAC applies), renewed at 80% of its lifetime. A ConfigMap or Secret that
 * cannot be read yet (not created yet, or the Node authorizer has not seen the pod) is retried until
 * it can be, as the kubelet keeps the pod in ContainerCreating meanwhile.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeObject } from '../../support/control-plane/types.ts';
import { type ApiClient, isStatus } from './api-client.ts';
import { fieldValue, type PodPlace, resourceValue } from './downward.ts';

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}
interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
  mode?: number;
}
interface Projection {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}
export interface Volume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
  secret?: { secretName: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
  emptyDir?: object;
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number };
  projected?: { sources?: Projection[]; defaultMode?: number };
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}
interface ContainerSpec {
  name: string;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;
const DEFAULT_MODE = 0o644;
const TOKEN_SECONDS = 3607;

/** A file of a volume: its path inside the volume, content and mode. */
type VolumeFile = [path: string, content: string | Buffer, mode: number];

export class PodVolumes {
  private readonly cache = new Map<string, KubeObject | undefined>();
  private readonly renewals = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly client: ApiClient,
    private readonly pod: KubeObject,
    private readonly dir: string,
    private readonly place: PodPlace,
  ) {}

  private get namespace(): string {
    return this.pod.metadata.namespace ?? 'default';
  }

  private get volumes(): Volume[] {
    return (this.pod.spec as { volumes?: Volume[] }).volumes ?? [];
  }

  /**
   * A ConfigMap or Secret of the pod's namespace, read once per pod; undefined when it does not
   * exist and `optional`. With `retry`, tries again (until close()) while it cannot be read.
   */
  async object(
    kind: 'configmaps' | 'secrets',
    name: string,
    optional = false,
    retry = true,
  ): Promise<KubeObject | undefined> {
    const key = `${kind}/${name}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const found = await this.retrying(
      async () => {
        try {
          return await this.client.get<KubeObject>(`/api/v1/namespaces/${this.namespace}/${kind}/${name}`);
        } catch (error) {
          if (isStatus(error, 404) && optional) return undefined;
          throw error;
        }
      },
      (error) => retry && (isStatus(error, 404) || isStatus(error, 403)),
    );
    this.cache.set(key, found);
    return found;
  }

  /**
   * `attempt`, again with back-off (until close()) while it fails as `again` says, as the kubelet's
   * volume manager retries a mount: what is missing may be created, and the Node authorizer learns of a
   * pod's objects a moment after it is bound.
   */
  private async retrying<T>(attempt: () => Promise<T>, again: (error: unknown) => boolean): Promise<T> {
    for (let wait = FIRST_RETRY_MS; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
      if (this.closed) throw new Error('the pod is stopping');
      try {
        return await attempt();
      } catch (error) {
        if (!again(error)) throw error;
      }
      await delay(wait);
    }
  }

  /** Writes every volume under the pod's folder; throws for a volume type this node does not have. */
  async prepare(): Promise<void> {
    for (const volume of this.volumes) {
      const files = await this.filesOf(volume);
      const dir = join(this.dir, volume.name);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      // emptyDir is world-writable, as the kubelet makes it: any user the pod runs as may write.
      if (volume.emptyDir) chmodSync(dir, 0o777);
      for (const [path, content, mode] of files) writeVolumeFile(dir, path, content, mode);
    }
  }

  /** The container's mounts: host folders (or files, with subPath) and where they go. */
  mountsFor(mounts: VolumeMount[] | undefined): Array<{ source: string; target: string; readOnly: boolean }> {
    return (mounts ?? []).map((mount) => {
      if (!this.volumes.some((volume) => volume.name === mount.name))
        throw new Error(`volumeMount ${mount.name} names no volume of the pod`);
      const volume = join(this.dir, mount.name);
      return {
        source: mount.subPath ? join(volume, mount.subPath) : volume,
        target: mount.mountPath,
        readOnly: mount.readOnly ?? false,
      };
    });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.renewals) clearTimeout(timer);
    this.renewals.clear();
  }

  private async filesOf(volume: Volume): Promise<VolumeFile[]> {
    if (volume.configMap) {
      const { name, items, optional, defaultMode } = volume.configMap;
      return this.keyFiles('configmaps', name, items, optional, defaultMode ?? DEFAULT_MODE);
    }
    if (volume.secret) {
      const { secretName, items, optional, defaultMode } = volume.secret;
      return this.keyFiles('secrets', secretName, items, optional, defaultMode ?? DEFAULT_MODE);
    }
    if (volume.emptyDir) return [];
    if (volume.downwardAPI)
      return this.downwardFiles(volume.downwardAPI.items, volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
    if (volume.projected) return this.projectedFiles(volume, volume.projected.defaultMode ?? DEFAULT_MODE);
    const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
    throw new Error(`volume ${volume.name}: ${kind} volumes are not supported by this node`);
  }

  private async keyFiles(
    kind: 'configmaps' | 'secrets',
    name: string,
    items: KeyToPath[] | undefined,
    optional: boolean | undefined,
    mode: number,
  ): Promise<VolumeFile[]> {
    const object = await this.object(kind, name, optional ?? false);
    const data: Record<string, Buffer> = {};
    const raw = object as { data?: Record<string, string>; binaryData?: Record<string, string> } | undefined;
    for (const [key, value] of Object.entries(raw?.data ?? {}))
      data[key] = kind === 'secrets' ? Buffer.from(value, 'base64') : Buffer.from(value);
    for (const [key, value] of Object.entries(raw?.binaryData ?? {}))
      data[key] = Buffer.from(value, 'base64');
    const wanted: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
    return wanted.flatMap((item): VolumeFile[] => {
      const content = data[item.key];
      if (content === undefined) {
        if (object && !optional) throw new Error(`${kind} ${name} has no key ${item.key}`);
        return [];
      }
      return [[item.path, content, item.mode ?? mode]];
    });
  }

  private downwardFiles(items: DownwardItem[] | undefined, mode: number): VolumeFile[] {
    const containers = (this.pod.spec as { containers?: ContainerSpec[] }).containers ?? [];
    return (items ?? []).map((item): VolumeFile => {
      if (item.fieldRef)
        return [item.path, fieldValue(this.pod, item.fieldRef.fieldPath, this.place), item.mode ?? mode];
      const ref = item.resourceFieldRef;
      const container = containers.find((c) => c.name === ref?.containerName) ?? containers[0];
      if (!ref || !container) throw new Error(`downwardAPI item ${item.path} has no field`);
      return [item.path, resourceValue(container, ref.resource, ref.divisor), item.mode ?? mode];
    });
  }

  private async projectedFiles(volume: Volume, mode: number): Promise<VolumeFile[]> {
    const files: VolumeFile[] = [];
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap) {
        const { name, items, optional } = source.configMap;
        files.push(...(await this.keyFiles('configmaps', name, items, optional, mode)));
      } else if (source.secret) {
        const { name, items, optional } = source.secret;
        files.push(...(await this.keyFiles('secrets', name, items, optional, mode)));
      } else if (source.downwardAPI) {
        files.push(...this.downwardFiles(source.downwardAPI.items, mode));
      } else if (source.serviceAccountToken) {
        const token = source.serviceAccountToken;
        files.push([token.path, await this.requestToken(volume.name, token), mode]);
      } else {
        throw new Error(`volume ${volume.name}: a projected source this node does not support`);
      }
    }
    return files;
  }

  /** A TokenRequest for the pod's ServiceAccount, bound to the pod; renewed into the volume at 80%. */
  private async requestToken(
    volume: string,
    projection: NonNullable<Projection['serviceAccountToken']>,
  ): Promise<string> {
    const account = (this.pod.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default';
    const seconds = projection.expirationSeconds ?? TOKEN_SECONDS;
    // Refused (403 "no relationship found") until the Node authorizer's graph has the pod bound here.
    const answer = await this.retrying(
      () =>
        this.client.create<{ status: { token: string } }>(
          `/api/v1/namespaces/${this.namespace}/serviceaccounts/${account}/token`,
          {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              ...(projection.audience ? { audiences: [projection.audience] } : {}),
              expirationSeconds: seconds,
              boundObjectRef: {
                apiVersion: 'v1',
                kind: 'Pod',
                name: this.pod.metadata.name,
                uid: this.pod.metadata.uid,
              },
            },
          },
        ),
      (error) => !isStatus(error, 400) && !isStatus(error, 422),
    );
    const timer = setTimeout(() => {
      this.renewals.delete(timer);
      this.requestToken(volume, projection).then(
        (token) => writeVolumeFile(join(this.dir, volume), projection.path, token, DEFAULT_MODE),
        () => undefined,
      );
    }, seconds * 800);
    timer.unref();
    this.renewals.add(timer);
    return answer.status.token;
  }
}

function writeVolumeFile(dir: string, path: string, content: string | Buffer, mode: number): void {
  const file = join(dir, path);
  if (!file.startsWith(`${dir}/`)) throw new Error(`volume file ${path} leads out of its volume`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}
