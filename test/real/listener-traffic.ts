/**
 * Reaching an EventListener without the gateway, and what its controller created: a port-forward to
 * its pod (through the API server, as `kubectl port-forward` does) and the objects labelled with an
 * event's ID. For the fixtures recorder, the Tekton tests and the latency benchmark.
 */
import type { KubeClient } from '../../src/kube/client.ts';
import { type ForwardedPort, forwardPodPort } from '../../src/kube/port-forward.ts';
import { receivesTraffic } from '../../src/kube/rollout.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { EVENT_ID_LABEL } from '../../src/tekton/objects.ts';

/** The sink's port in the el-NAME pod (the Service's http-listener targets it). */
export const LISTENER_PORT = 8080;

/** A local port that reaches the listener's Ready pod. */
export async function forwardToListener(
  kube: KubeClient,
  namespace: string,
  name: string,
): Promise<ForwardedPort> {
  const pods = await kube.list<
    KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
  >('v1', 'Pod', { namespace, labelSelector: `eventlistener=${name}` });
  const pod = pods.find(receivesTraffic);
  if (!pod) throw new Error(`no Ready pod of eventlistener ${namespace}/${name}`);
  return forwardPodPort(kube, { name: pod.metadata.name, namespace }, LISTENER_PORT);
}

/** The PipelineRuns the listener created for one event (its 202's eventID). */
export async function pipelineRunsOf(
  kube: KubeClient,
  namespace: string,
  eventId: string,
): Promise<KubeObject[]> {
  return kube.list('tekton.dev/v1', 'PipelineRun', {
    namespace,
    labelSelector: `${EVENT_ID_LABEL}=${eventId}`,
  });
}
