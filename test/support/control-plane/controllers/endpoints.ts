/**
 * The endpoints controller: each Service with a selector gets an Endpoints object of its name listing
 * the IPs of the pods it selects, Ready ones as addresses and the others as notReadyAddresses, with
 * the Service's ports (a named targetPort resolved on each pod). Endpoints of Services without a
 * selector are left to whoever writes them; a deleted Service's Endpoints go with it.
 */
import { clone } from '../json.ts';
import type { Objects } from '../objects.ts';
import { resolveTargetPort } from '../pod-ports.ts';
import { findByPlural, type ResourceType, type ServedResources } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import type { WorkQueue } from './queue.ts';

const endpointsType = findByPlural('endpoints') as ResourceType;
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

interface ServiceSpec {
  clusterIP?: string;
  selector?: Record<string, string>;
  publishNotReadyAddresses?: boolean;
  ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>;
}

interface PodFacts {
  podIP?: string;
  phase?: string;
  conditions?: Array<{ type: string; status: string }>;
}

interface Address {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

interface Port {
  name?: string;
  port: number;
  protocol: string;
}

interface Subset {
  addresses?: Address[];
  notReadyAddresses?: Address[];
  ports?: Port[];
}

const specOf = (svc: KubeObject) => (svc.spec ?? {}) as ServiceSpec;
const factsOf = (pod: KubeObject) => (pod.status ?? {}) as PodFacts;

/** The selector, unless the Service has none (an empty one selects nothing, as the data plane sees it). */
function selectorOf(svc: KubeObject): Record<string, string> | undefined {
  const selector = specOf(svc).selector;
  return selector && Object.keys(selector).length > 0 ? selector : undefined;
}

const selects = (selector: Record<string, string>, pod: KubeObject) =>
  Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);

/** podutil.ShouldPodBeInEndpoints: an IP, not terminating, and not finished for good. */
function belongs(pod: KubeObject, publishNotReady: boolean): boolean {
  const { podIP, phase } = factsOf(pod);
  if (!podIP || (pod.metadata.deletionTimestamp && !publishNotReady)) return false;
  const restartPolicy = (pod.spec as { restartPolicy?: string } | undefined)?.restartPolicy;
  if (restartPolicy === 'Never') return phase !== 'Failed' && phase !== 'Succeeded';
  if (restartPolicy === 'OnFailure') return phase !== 'Succeeded';
  return true;
}

const isReady = (pod: KubeObject) =>
  (factsOf(pod).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

function addressOf(pod: KubeObject, svc: KubeObject): Address {
  const spec = (pod.spec ?? {}) as { nodeName?: string; hostname?: string; subdomain?: string };
  return {
    ip: String(factsOf(pod).podIP),
    ...(spec.hostname && spec.subdomain === svc.metadata.name ? { hostname: spec.hostname } : {}),
    ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name,
      uid: String(pod.metadata.uid),
    },
  };
}

/** Pods with the same resolved ports share a subset; addresses sorted by IP as RepackSubsets does. */
function subsetsFor(svc: KubeObject, pods: KubeObject[]): Subset[] {
  const spec = specOf(svc);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const groups = new Map<string, Required<Subset>>();
  for (const pod of pods.filter((p) => belongs(p, publishNotReady))) {
    const ports = (spec.ports ?? []).flatMap((p): Port[] => {
      const port = resolveTargetPort(pod, p.targetPort, p.port);
      return port === undefined
        ? []
        : [{ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP' }];
    });
    // A pod none of whose ports resolve is left out, except from a headless Service without ports.
    if (ports.length === 0 && !(spec.clusterIP === 'None' && (spec.ports ?? []).length === 0)) continue;
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { addresses: [], notReadyAddresses: [], ports };
    groups.set(key, group);
    (publishNotReady || isReady(pod) ? group.addresses : group.notReadyAddresses).push(addressOf(pod, svc));
  }
  const byIP = (a: Address, b: Address) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  const first = (g: Required<Subset>) => (g.addresses[0] ?? g.notReadyAddresses[0]) as Address;
  return [...groups.values()]
    .map((g) => {
      g.addresses.sort(byIP);
      g.notReadyAddresses.sort(byIP);
      return g;
    })
    .sort((a, b) => byIP(first(a), first(b)))
    .map((g) => ({
      ...(g.addresses.length > 0 ? { addresses: g.addresses } : {}),
      ...(g.notReadyAddresses.length > 0 ? { notReadyAddresses: g.notReadyAddresses } : {}),
      ...(g.ports.length > 0 ? { ports: g.ports } : {}),
    }));
}

export class EndpointsController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    private readonly served: ServedResources,
  ) {}

  observe(event: StoreEvent): void {
    const { object } = event;
    const namespace = object.metadata.namespace ?? '';
    if (event.resource === 'services') this.enqueue(namespace, object.metadata.name);
    // Someone deleted Endpoints a Service still needs: write them again.
    if (event.resource === 'endpoints' && event.type === 'DELETED')
      this.enqueue(namespace, object.metadata.name);
    if (event.resource !== 'pods') return;
    for (const svc of this.objects.store.list('services', namespace)) {
      const selector = selectorOf(svc);
      if (selector && [object, event.previous].some((pod) => pod && selects(selector, pod))) {
        this.enqueue(namespace, svc.metadata.name);
      }
    }
  }

  private enqueue(namespace: string, name: string): void {
    this.queue.enqueue(`endpoints/${namespace}/${name}`, () => this.sync(namespace, name));
  }

  private sync(namespace: string, name: string): void {
    if (!this.served.byPlural('endpoints')) return;
    const store = this.objects.store;
    const svc = store.get('services', namespace, name);
    const current = store.get('endpoints', namespace, name);
    if (!svc) {
      if (current) this.objects.delete(endpointsType, namespace, name);
      return;
    }
    const selector = selectorOf(svc);
    const ns = store.get('namespaces', undefined, namespace);
    if (!selector || !ns || ns.metadata.deletionTimestamp) return;
    const pods = store.list('pods', namespace).filter((pod) => selects(selector, pod));
    const subsets = subsetsFor(svc, pods);
    const labels = {
      ...svc.metadata.labels,
      ...(specOf(svc).clusterIP === 'None' ? { [HEADLESS_LABEL]: '' } : {}),
    };
    const next: KubeObject = current
      ? clone(current)
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    if (Object.keys(labels).length > 0) next.metadata.labels = labels;
    else delete next.metadata.labels;
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    if (current) this.objects.update(endpointsType, next);
    else this.objects.create(endpointsType, namespace, next);
  }
}
