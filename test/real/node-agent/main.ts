/**
 * The real control plane's node: registers a Node, runs the pods the scheduler binds to it in real
 * containers (each pod in a network namespace of its own, each container in its own mount and PID
 * namespaces: see pod-worker.ts), routes Services' ClusterIPs and load balancer addresses to their
 * EndpointSlices' endpoints with nftables as kube-proxy does, answers the cluster DNS, and serves
 * the kubelet endpoints for pods/log, port-forward and exec. It runs inside the node's network
 * namespace.
 *
 *   node --import tsx test/real/node-agent/main.ts --config agent.json
 *
 * It exits after stopping its pods on SIGTERM, SIGINT, SIGHUP, or when its stdin closes (its owner died).
 */
import { readFileSync } from 'node:fs';
import { serviceLookup, startDnsServer } from '../../support/control-plane/data-plane/dns.ts';
import { hasServiceAddress } from '../../support/control-plane/data-plane/proxy.ts';
import { Store } from '../../support/control-plane/store.ts';
import { ApiClient, type CertificateFiles } from './api-client.ts';
import { ENDPOINT_SLICES, endpointSliceEndpoints } from './endpoint-slices.ts';
import { KubeletServer } from './kubelet-server.ts';
import { NodeRegistration } from './node-registration.ts';
import { PodEvents } from './pod-events.ts';
import { PodLifecycle } from './pod-lifecycle.ts';
import { PodNetwork } from './pod-network.ts';
import { Reflector } from './reflector.ts';
import { KubeProxy } from './kube-proxy.ts';

export interface NodeAgentConfig {
  /** The control plane's instance index: pod network namespaces are named after it. */
  index: number;
  nodeName: string;
  nodeIP: string;
  podCIDR: string;
  /** Where the cluster DNS listens (the kubelet's --cluster-dns). */
  clusterDNS: string;
  apiServer: string;
  ca: string;
  /** Client certificate of system:node:<nodeName> (group system:nodes). */
  node: CertificateFiles;
  /** Client certificate of system:kube-proxy. */
  proxy: CertificateFiles;
  /** A token of kube-system/service-controller, which may write the status of Services. */
  serviceController: { token: string };
  /** Where LoadBalancer Services get their addresses. */
  loadBalancerCIDR: string;
  /** The kubelet's serving certificate, for nodeIP. */
  serving: CertificateFiles;
  /** The CA of the API server's kubelet client certificate. */
  kubeletClientCA: string;
  kubeletPort: number;
  /** test/real/.bin: the container program, and the programs images run. */
  bin: string;
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
  const endpoints = endpointSliceEndpoints(store);
  const network = new PodNetwork(
    config.podCIDR,
    { index: config.index, ip: config.nodeIP },
    (namespace, name) =>
      (store.get('services', namespace, name)?.spec as { clusterIP?: string } | undefined)?.clusterIP,
  );
  const dns = await startDnsServer(
    serviceLookup(
      (namespace, name) => {
        const svc = store.get('services', namespace, name);
        return svc && { headless: !hasServiceAddress(svc) };
      },
      (namespace, name) => network.service(namespace, name),
      (namespace, name) => {
        const svc = store.get('services', namespace, name);
        return svc ? endpoints.addresses(svc) : [];
      },
    ),
    config.clusterDNS,
    53,
  );

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
  const asServiceController = new ApiClient(config.apiServer, config.ca, config.serviceController);
  const kubeProxy = new KubeProxy(
    store,
    endpoints,
    asServiceController,
    config.loadBalancerCIDR,
    report('load balancer'),
  );

  const lifecycle = new PodLifecycle(store, {
    client: asNode,
    network,
    events: new PodEvents(asNode, config.nodeName, report('event')),
    place: { nodeName: config.nodeName, nodeIP: config.nodeIP },
    dir: config.dir,
    bin: config.bin,
    services: () => store.list('services'),
    clusterDNS: config.clusterDNS,
    onError: report('pod'),
  });
  const kubelet = new KubeletServer({
    host: config.nodeIP,
    port: config.kubeletPort,
    serving: config.serving,
    clientCA: config.kubeletClientCA,
    pods: store,
    logSources: (pod, container, previous) => lifecycle.logSource(pod, container, previous),
    exec: (pod, container, command, stdio) => {
      const running = lifecycle.container(pod, container);
      if (!running) throw new Error(`container ${container} of pod ${pod.metadata.name} is not running`);
      return running.run(command, stdio);
    },
  });
  await kubelet.listen();
  const registration = new NodeRegistration(
    asNode,
    { name: config.nodeName, ip: config.nodeIP, podCIDR: config.podCIDR, kubeletPort: config.kubeletPort },
    report('heartbeat'),
  );
  await registration.register();
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

  process.on('exit', () => lifecycle.killNow());
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    for (const reflector of [pods, services, slices]) reflector.stop();
    registration.stop();
    kubeProxy.close();
    await lifecycle.close();
    await Promise.all([dns.close(), kubelet.close()]);
    for (const client of [asNode, asProxy, asServiceController]) client.close();
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
