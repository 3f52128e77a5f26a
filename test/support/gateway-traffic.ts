/** Requests to the bundled gateway on the local control plane's data plane, for tests of what it records. */
import { request as httpRequest } from 'node:http';
import type { ControlPlaneWithDataPlane, KubeObject } from './control-plane/index.ts';

const NAMESPACE = 'trigger-gateway';

export function gatewayPods(plane: ControlPlaneWithDataPlane): KubeObject[] {
  return plane.list('pods', NAMESPACE) as KubeObject[];
}

/** One POST through the gateway Service, or straight to one gateway pod's port 8080; its status. */
export function postToGateway(
  plane: ControlPlaneWithDataPlane,
  path: string,
  headers: Record<string, string> = {},
  pod?: KubeObject,
): Promise<number> {
  const { host, port } = pod
    ? plane.dataPlane.podAddress(pod, 8080)
    : plane.dataPlane.serviceAddress(NAMESPACE, 'trigger-gateway', 80);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{"ref":"main"}');
  });
}

/** What the echo backend received: its log, one JSON object per request. */
export function echoRequests(
  plane: ControlPlaneWithDataPlane,
): Array<{ path: string; headers: Record<string, string>; body: string }> {
  const pod = plane.list('pods', 'trigger')[0] as KubeObject;
  return plane.dataPlane
    .logs(pod)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}
