/**
 * The real control plane's node: registers a Node, runs the pods the scheduler binds to it as local
 * processes (the data plane of test/support: real HAProxy for the gateway, the echo server for
 * httpecho), proxies Services from their EndpointSlices, and serves the kubelet endpoints for pods/log
 * and port-forward. It runs inside the node's network namespace, where pod IPs are local.
 *
 *   node --import tsx test/real/node-agent/main.ts --config agent.json
 *
 * It exits after stopping its pods on SIGTERM, SIGINT, SIGHUP, or when its stdin closes (its owner died).
 */
import { readFileSync } from 'node:fs';
import { instantPodRuntime } from '../../support/control-plane/index.ts';
import { LocalDataPlane } from '../../support/control-plane/data-plane/index.ts';
import { Store } from '../../support/control-plane/store.ts';
import { ApiClient, type Credentials } from './api-client.ts';
import { ENDPOINT_SLICES, endpointSliceEndpoints } from './endpoint-slices.ts';
import { KubeletServer } from './kubelet-server.ts';
import { NodeRegistration } from './node-registration.ts';
import { PodLifecycle } from './pod-lifecycle.ts';
import { PodNetwork } from './pod-network.ts';
import { Reflector } from './reflector.ts';

export interface NodeAgentConfig {
  nodeName: string;
  nodeIP: string;
  podCIDR: string;
  apiServer: string;
  ca: string;
  /** Client certificate of system:node:<nodeName> (group system:nodes). */
  node: Credentials;
  /** Client certificate of system:kube-proxy. */
  proxy: Credentials;
  /** The kubelet's serving certificate, for nodeIP. */
  serving: Credentials;
  /** The CA of the API server's kubelet client certificate. */
  kubeletClientCA: string;
  kubeletPort: number;
  dir: string;
}

const log = (message: string) => process.stderr.write(`node-agent: ${message}\n`);
const report = (what: string) => (error: unknown) =>
  log(`${what}: ${error instanceof Error ? error.message : String(error)}`);

function readConfig(argv: string[]): NodeAgentConfig {
  const at = argv.indexOf('--config');
  const file = at >= 0 ? argv[at + 1] : undefined;
  if (!file) throw new Error('usage: main.ts --config FILE');
  return JSON.parse(readFileSync(file, 'utf8')) as NodeAgentConfig;
}

async function main(): Promise<void> {
  const config = readConfig(process.argv);
  const asNode = new ApiClient(config.apiServer, config.ca, config.node);
  const asProxy = new ApiClient(config.apiServer, config.ca, config.proxy);
  const store = new Store();
  const dataPlane = new LocalDataPlane({ addresses: new PodNetwork(config.podCIDR) }, instantPodRuntime);
  dataPlane.attach(store, endpointSliceEndpoints(store));

  const kubelet = new KubeletServer({
    host: config.nodeIP,
    port: config.kubeletPort,
    serving: config.serving,
    clientCA: config.kubeletClientCA,
    pods: store,
    logSources: dataPlane.logSource,
  });
  await kubelet.listen();
  const registration = new NodeRegistration(
    asNode,
    { name: config.nodeName, ip: config.nodeIP, podCIDR: config.podCIDR, kubeletPort: config.kubeletPort },
    report('heartbeat'),
  );
  await registration.register();

  const services = new Reflector(
    asProxy,
    store,
    'services',
    '/api/v1/services',
    undefined,
    report('services'),
  );
  const slices = new Reflector(
    asProxy,
    store,
    ENDPOINT_SLICES,
    '/apis/discovery.k8s.io/v1/endpointslices',
    undefined,
    report('endpointslices'),
  );
  await Promise.all([services.hasSynced(), slices.hasSynced()]);
  const lifecycle = new PodLifecycle(
    asNode,
    store,
    dataPlane,
    { name: config.nodeName, ip: config.nodeIP },
    report('pod'),
  );
  const pods = new Reflector(
    asNode,
    store,
    'pods',
    '/api/v1/pods',
    `spec.nodeName=${config.nodeName}`,
    report('pods'),
  );
  await pods.hasSynced();
  log(`node ${config.nodeName} is registered at ${config.nodeIP}:${config.kubeletPort}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    for (const reflector of [pods, services, slices]) reflector.stop();
    registration.stop();
    lifecycle.close();
    await dataPlane.close();
    await kubelet.close();
    asNode.close();
    asProxy.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => void shutdown());
  process.stdin.on('end', () => void shutdown());
  process.stdin.on('close', () => void shutdown());
  process.stdin.resume();
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
