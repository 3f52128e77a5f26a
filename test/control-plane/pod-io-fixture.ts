/** A data-plane control plane with the echo Deployment running, for the pods/log and port-forward tests. */
import { request } from 'node:http';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
  type UserSpec,
} from '../support/control-plane/index.ts';
import { echoBackend } from './gateway-fixture.ts';
import { type Kubectl, kubectlFor, until } from './helpers.ts';

export const NAMESPACE = 'trigger';
export const ECHO = 'httpecho';

export interface EchoPlane {
  plane: ControlPlaneWithDataPlane;
  kubectl: Kubectl;
  /** The echo Deployment's (only) pod, once Ready. */
  pod: KubeObject;
  stop(): Promise<void>;
}

const isReady = (pod: KubeObject) =>
  (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
    (c) => c.type === 'Ready' && c.status === 'True',
  ) ?? false;

/** Waits until a pod in NAMESPACE that `match` accepts is Ready. */
export function readyPod(plane: ControlPlaneWithDataPlane, match: (pod: KubeObject) => boolean) {
  return until(() => plane.list('pods', NAMESPACE).find((p) => match(p) && isReady(p)), 'a Ready pod');
}

export async function startEchoPlane(users?: Record<string, UserSpec>): Promise<EchoPlane> {
  const plane = await startControlPlane({ dataPlane: true, ...(users ? { users } : {}) });
  plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  for (const object of echoBackend(ECHO, NAMESPACE)) plane.put(object);
  const kubectl = kubectlFor(plane);
  const pod = await readyPod(plane, (p) => p.metadata.labels?.app === ECHO);
  return {
    plane,
    kubectl,
    pod,
    stop: async () => {
      kubectl.cleanup();
      await plane.stop();
    },
  };
}

export interface HttpReply {
  status: number;
  body: string;
}

/** One GET on a fresh connection (Connection: close); fails after 10 s without an answer. */
export function httpGet(to: { host: string; port: number }, path: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ ...to, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${to.host}:${to.port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** A bare Pod (no controller) in NAMESPACE with the given containers. */
export function barePod(name: string, containers: Array<Record<string, unknown>>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: { containers },
  };
}

/** An echo container listening on `port`. */
export const echoContainer = (name: string, port: number) => ({
  name,
  image: 'docker.io/mendhak/http-https-echo:33',
  env: [{ name: 'HTTP_PORT', value: String(port) }],
  ports: [{ containerPort: port }],
});
