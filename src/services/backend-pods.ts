/** The pods behind a route's Service that receive traffic: the ones `test` and the status view's `l` tail. */
import { ExitCode, GatewayError } from '../errors.ts';
import { describeMatch, type GatewayRoute } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { labelSelectorOf } from '../kube/resources.ts';
import { receivesTraffic } from '../kube/rollout.ts';
import type { KubeObject } from '../manifests/types.ts';

export interface PodObject extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface ServiceObject extends KubeObject {
  spec?: { selector?: Record<string, string> };
}

export async function readyBackendPods(kube: KubeClient, route: GatewayRoute): Promise<PodObject[]> {
  const service = route.service;
  if (!service) {
    throw new GatewayError(`the route for ${describeMatch(route.match)} does not point at a Service`, {
      why: `its backend is ${route.address ?? route.backend}; test watches the logs of the Service's pods`,
      next: [
        'route it to a Service: kubectl trigger-gateway route add PATH SERVICE.NAMESPACE:PORT --overwrite',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  return readyPodsBehind(kube, service, describeMatch(route.match));
}

/** The Ready pods behind a Service, or an error saying why there are none. `what` names the route. */
export async function readyPodsBehind(
  kube: KubeClient,
  service: { name: string; namespace: string },
  what: string,
): Promise<PodObject[]> {
  const found = await kube.read<ServiceObject>({ apiVersion: 'v1', kind: 'Service', ...service });
  if (!found) {
    throw new GatewayError(`the backend Service ${service.name}.${service.namespace} does not exist`, {
      why: `the gateway answers 503 for ${what} until it does`,
      next: [
        `kubectl -n ${service.namespace} get services`,
        'or route to an existing listener: kubectl trigger-gateway route add … --overwrite',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const selector = found.spec?.selector ?? {};
  const pods = Object.keys(selector).length
    ? await kube.list<PodObject>('v1', 'Pod', {
        namespace: service.namespace,
        labelSelector: labelSelectorOf(selector),
      })
    : [];
  const ready = pods.filter(receivesTraffic);
  if (ready.length === 0) {
    throw new GatewayError(`no ready pods behind service ${service.name}.${service.namespace}`, {
      why: pods.length
        ? `${pods.length} pod(s) match its selector, none is Ready (and not being deleted)`
        : 'no pod matches its selector',
      next: [`kubectl -n ${service.namespace} get pods -l ${labelSelectorOf(selector) || '…'}`],
      exitCode: ExitCode.clusterState,
    });
  }
  return ready;
}
