/**
 * install --expose on each control plane of the run: an Ingress, a Gateway API HTTPRoute, an
 * OpenShift Route or nothing, each rendered, applied, reported by install and status, switched and
 * uninstalled; Gateways that refuse the route (before anything is written, or through their
 * controller), a router that refuses a host, and clusters without the APIs. The Gateway API and Route
 * CRDs come from the Go module cache (test/support/crds.ts). The Gateway API controller is Traefik on
 * the real control plane (test/real/traefik.ts: its GatewayClass, listeners on its entry point's
 * port, which its LoadBalancer Service publishes as port 80) and test/support/exposure-controllers.ts
 * locally (behind a LoadBalancer Service of the test's, 80 to the listeners' 8080); the OpenShift
 * router is exposure-controllers.ts on both.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import Status from '../../src/commands/status.ts';
import Test from '../../src/commands/test.ts';
import Uninstall from '../../src/commands/uninstall.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { REPO_ROOT, runCommand, runExecutable } from '../support/cli.ts';
import { type ClusterUnderTest, controlPlanes, freshNamespace } from '../support/clusters.ts';
import { gatewayApiCrds, openshiftRouteCrds } from '../support/crds.ts';
import { eventually } from '../support/eventually.ts';
import {
  CONTROLLER_NAME,
  type ExposureControllers,
  ROUTER_DOMAIN,
  startExposureControllers,
} from '../support/exposure-controllers.ts';
import { TRAEFIK_CLASS, TRAEFIK_WEB_PORT } from '../real/traefik.ts';

const GATEWAY_API = 'gateway.networking.k8s.io/v1';
const ROUTE_API = 'route.openshift.io/v1';
const GATEWAY_ADDRESS = '192.0.2.10';

interface Listener {
  name: string;
  protocol: string;
  port: number;
  hostname?: string;
  allowedRoutes?: unknown;
}

describe.each(controlPlanes())('install --expose on the $name control plane', (row) => {
  let cluster: ClusterUnderTest;
  let controllers: ExposureControllers | undefined;
  const gatewayNs = freshNamespace('tg-gw');
  const traefik = row.name === 'real';
  const gatewayClass = traefik ? TRAEFIK_CLASS : 'tg-test';
  const controllerName = traefik ? 'traefik.io/gateway-controller' : CONTROLLER_NAME;
  // Never the public port: Traefik's entry point, or the stand-in's behind the test's Service.
  const listenerPort = traefik ? TRAEFIK_WEB_PORT : 8080;
  const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: cluster.kubeconfig });
  const run = (command: Parameters<typeof runCommand>[0], ns: string, ...args: string[]) =>
    runCommand(command, ['--kubeconfig', cluster.kubeconfig, '-n', ns, ...args]);
  const applyObjects = async (objects: object[]) => {
    const file = join(mkdtempSync(join(tmpdir(), 'tg-expose-')), 'objects.yaml');
    writeFileSync(file, objects.map((object) => dump(object, { lineWidth: -1 })).join('---\n'));
    const applied = await kubectl('apply', '--server-side', '-f', file);
    expect(applied.exitCode, applied.stderr).toBe(0);
  };
  const read = (apiVersion: string, kind: string, name: string, namespace: string) =>
    cluster.kube.read({ apiVersion, kind, name, namespace });
  const namespaceExists = async (name: string) =>
    (await cluster.kube.read({ apiVersion: 'v1', kind: 'Namespace', name })) !== undefined;
  const gateway = (name: string, listeners: Listener[], className = gatewayClass) => ({
    apiVersion: GATEWAY_API,
    kind: 'Gateway',
    metadata: { name, namespace: gatewayNs },
    spec: { gatewayClassName: className, listeners },
  });
  const http = (extra: Partial<Listener> = {}): Listener => ({
    name: 'http',
    protocol: 'HTTP',
    port: listenerPort,
    ...extra,
  });
  const statusJson = async (ns: string) => {
    const shown = await run(Status, ns, '-o', 'json');
    expect(shown.exitCode, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout) as {
      publicUrl?: string;
      exposure: { kind: string; object?: string; url?: string; note?: string };
    };
  };

  /** kubectl port-forward to the gateway Service of `ns` on a free local port, until closed. */
  const portForward = (ns: string) =>
    new Promise<{ port: number; close: () => void }>((resolve, reject) => {
      const child = spawn(
        'kubectl',
        ['port-forward', '-n', ns, 'service/trigger-gateway', '--address', '127.0.0.1', ':80'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: cluster.kubeconfig } },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        if (port) resolve({ port: Number(port), close: () => child.kill() });
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`kubectl port-forward exited (${code}):\n${output}`)));
    });

  beforeAll(async () => {
    cluster = await row.connect();
  });

  afterAll(async () => {
    await controllers?.stop();
    await kubectl('delete', 'namespace', gatewayNs, '--wait=false', '--ignore-not-found');
    await cluster?.close();
  });

  it('refuses an API the cluster does not serve before writing anything, naming the API and how to get it', async () => {
    // None of these CRDs yet: the next tests install them. The real control plane serves the Gateway
    // API from the start, for Traefik.
    const httpRoutes = [
      ['--expose', 'httproute', '--gateway', 'eg'],
      'HTTPRoutes (gateway.networking.k8s.io/v1)',
      'standard-install.yaml',
    ] as const;
    for (const [args, api, hint] of [
      ...(traefik ? [] : [httpRoutes]),
      [['--expose', 'route'], 'Routes (route.openshift.io/v1)', 'OpenShift'] as const,
    ]) {
      const ns = freshNamespace('tg-noapi');
      const refused = await run(Install, ns, ...args);
      expect(refused.exitCode, refused.stderr).toBe(7);
      expect(refused.stderr).toContain(`error: the cluster does not serve ${api}`);
      expect(refused.stderr).toContain(hint);
      expect(await namespaceExists(ns)).toBe(false);
    }
  });

  it('installs the CRDs from the module cache and starts the test controllers', async () => {
    await applyObjects([...gatewayApiCrds(), ...openshiftRouteCrds()]);
    const established = await kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/gatewayclasses.gateway.networking.k8s.io',
      'crd/gateways.gateway.networking.k8s.io',
      'crd/httproutes.gateway.networking.k8s.io',
      'crd/routes.route.openshift.io',
    );
    expect(established.exitCode, established.stderr).toBe(0);
    const made = await kubectl('create', 'namespace', gatewayNs);
    expect(made.exitCode, made.stderr).toBe(0);
    await eventually(async () => {
      await applyObjects([
        ...(traefik
          ? []
          : [
              {
                apiVersion: GATEWAY_API,
                kind: 'GatewayClass',
                metadata: { name: 'tg-test' },
                spec: { controllerName: CONTROLLER_NAME },
              },
              // The stand-in's data plane, as Traefik's Service publishes its entry points.
              {
                apiVersion: 'v1',
                kind: 'Service',
                metadata: { name: 'data-plane', namespace: gatewayNs },
                spec: {
                  type: 'LoadBalancer',
                  selector: { app: 'data-plane' },
                  ports: [{ name: 'http', port: 80, targetPort: listenerPort }],
                },
              },
            ]),
        gateway('eg', [http({ allowedRoutes: { namespaces: { from: 'All' } } })]),
        gateway('same-only', [http()]),
        gateway('labelled', [
          http({
            allowedRoutes: {
              namespaces: { from: 'Selector', selector: { matchLabels: { 'expose-test': 'allowed' } } },
            },
          }),
        ]),
        gateway('example-org', [
          http({ hostname: '*.example.org', allowedRoutes: { namespaces: { from: 'All' } } }),
        ]),
        gateway('orphan', [http({ allowedRoutes: { namespaces: { from: 'All' } } })], 'nobody-serves-this'),
      ]);
    });
    if (!traefik) {
      const published = await kubectl(
        ...['patch', 'service', 'data-plane', '-n', gatewayNs, '--subresource=status', '--type=merge'],
        ...['-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: GATEWAY_ADDRESS }] } } })],
      );
      expect(published.exitCode, published.stderr).toBe(0);
    }
    controllers = startExposureControllers(cluster.kube, cluster.kubeconfig, {
      gatewayAddress: GATEWAY_ADDRESS,
      gatewayApi: !traefik,
    });
  });

  it('each kind rendered, applied, reported and switched; the old object goes, a foreign one of its kind stays', async () => {
    const ns = freshNamespace('tg-expose');
    // A route of someone else's in the same namespace, of each kind install switches away from.
    const made = await kubectl('create', 'namespace', ns);
    expect(made.exitCode, made.stderr).toBe(0);
    await applyObjects([
      {
        apiVersion: GATEWAY_API,
        kind: 'HTTPRoute',
        metadata: { name: 'someone-elses', namespace: ns },
        spec: { parentRefs: [{ name: 'nowhere' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
      },
      {
        apiVersion: ROUTE_API,
        kind: 'Route',
        metadata: { name: 'someone-elses', namespace: ns },
        spec: { host: `web-${ns}.example.net`, to: { kind: 'Service', name: 'web' } },
      },
    ]);
    const foreignRoute = await read(GATEWAY_API, 'HTTPRoute', 'someone-elses', ns);
    // The router admits it first (a status write); from then on nothing should touch it.
    const foreignOpenShiftRoute = await eventually(async () => {
      const admitted = (await read(ROUTE_API, 'Route', 'someone-elses', ns)) as KubeObject & {
        status?: { ingress?: unknown[] };
      };
      expect(admitted.status?.ingress).toHaveLength(1);
      return admitted;
    });

    // 1. HTTPRoute on a Gateway in another namespace that allows routes from all namespaces; the URL
    // has the port its LoadBalancer Service publishes, not the listener's.
    const viaGateway = await run(
      Install,
      ns,
      '--expose',
      'httproute',
      '--gateway',
      `eg.${gatewayNs}`,
      '--host',
      'hooks.example.com',
      '--timeout',
      '2m',
    );
    expect(viaGateway.exitCode, viaGateway.stderr).toBe(0);
    expect(viaGateway.stdout).toContain(
      'Exposed by httproute.gateway.networking.k8s.io/trigger-gateway (Accepted=True Accepted, ResolvedRefs=True ResolvedRefs): http://hooks.example.com/',
    );
    const httpRoute = (await read(GATEWAY_API, 'HTTPRoute', 'trigger-gateway', ns)) as KubeObject & {
      spec: {
        parentRefs: unknown[];
        hostnames: string[];
        rules: Array<{ backendRefs: Array<{ name: string; port: number }> }>;
      };
    };
    expect(httpRoute.spec.parentRefs).toEqual([
      expect.objectContaining({ name: 'eg', namespace: gatewayNs }),
    ]);
    expect(httpRoute.spec.hostnames).toEqual(['hooks.example.com']);
    expect(httpRoute.spec.rules[0]?.backendRefs[0]).toMatchObject({ name: 'trigger-gateway', port: 80 });
    expect(await read('networking.k8s.io/v1', 'Ingress', 'trigger-gateway', ns)).toBeUndefined();
    expect(await statusJson(ns)).toMatchObject({
      publicUrl: 'http://hooks.example.com/',
      exposure: { kind: 'httproute', url: 'http://hooks.example.com/' },
    });

    // 2. Switch to an OpenShift Route: the router assigns the host, install reports it.
    const switched = await run(Install, ns, '--expose', 'route', '-o', 'json', '--timeout', '2m');
    expect(switched.exitCode, switched.stderr).toBe(0);
    const host = `trigger-gateway-${ns}.${ROUTER_DOMAIN}`;
    const result = JSON.parse(switched.stdout) as {
      objects: Array<{ id: string; action: string }>;
      exposure: { kind: string; url: string; conditions: Array<{ type: string; status: string }> };
    };
    // The old one served until the router had had time to route by the new one.
    expect(switched.stderr).toContain(
      "Keeping httproute.gateway.networking.k8s.io/trigger-gateway for 5 s while the new one's proxy takes over",
    );
    expect(result.exposure).toMatchObject({ kind: 'route', url: `https://${host}/` });
    expect(result.exposure.conditions).toContainEqual(
      expect.objectContaining({ type: 'Admitted', status: 'True' }),
    );
    expect(result.objects).toContainEqual(
      expect.objectContaining({
        id: 'httproute.gateway.networking.k8s.io/trigger-gateway',
        action: 'removed',
      }),
    );
    expect(await read(GATEWAY_API, 'HTTPRoute', 'trigger-gateway', ns)).toBeUndefined();
    expect((await read(GATEWAY_API, 'HTTPRoute', 'someone-elses', ns))?.metadata.resourceVersion).toBe(
      foreignRoute?.metadata.resourceVersion,
    );
    const route = (await read(ROUTE_API, 'Route', 'trigger-gateway', ns)) as KubeObject & {
      spec: {
        host?: string;
        to: { name: string };
        tls: { termination: string; insecureEdgeTerminationPolicy: string };
      };
    };
    expect(route.spec.host).toBeUndefined();
    expect(route.spec.to.name).toBe('trigger-gateway');
    expect(route.spec.tls).toEqual({ termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' });
    expect((await statusJson(ns)).exposure).toMatchObject({ kind: 'route', url: `https://${host}/` });

    // 3. None: no exposure object; status says so.
    const hidden = await run(Install, ns, '--expose', 'none', '--timeout', '2m');
    expect(hidden.exitCode, hidden.stderr).toBe(0);
    expect(hidden.stdout).toContain('route.route.openshift.io/trigger-gateway');
    expect(hidden.stdout).toContain('Not exposed (--expose none)');
    expect(hidden.stderr).not.toContain('Keeping');
    expect(await read(ROUTE_API, 'Route', 'trigger-gateway', ns)).toBeUndefined();
    expect((await read(ROUTE_API, 'Route', 'someone-elses', ns))?.metadata.resourceVersion).toBe(
      foreignOpenShiftRoute?.metadata.resourceVersion,
    );
    const none = await statusJson(ns);
    expect(none.publicUrl).toBeUndefined();
    expect(none.exposure).toMatchObject({ kind: 'none' });
    const text = await run(Status, ns);
    expect(text.stdout).toMatch(/URL:\s+none \(no Ingress, HTTPRoute or Route exposes the gateway/);

    // 4. Back to the default Ingress.
    const back = await run(Install, ns, '--timeout', '2m');
    expect(back.exitCode, back.stderr).toBe(0);
    expect(await read('networking.k8s.io/v1', 'Ingress', 'trigger-gateway', ns)).toBeDefined();
    expect((await statusJson(ns)).exposure).toMatchObject({ kind: 'ingress' });

    // 5. uninstall removes whichever it created, and only that.
    const again = await run(Install, ns, '--expose', 'route', '--timeout', '2m');
    expect(again.exitCode, again.stderr).toBe(0);
    const removed = await run(Uninstall, ns);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('route.route.openshift.io/trigger-gateway');
    expect(await read(ROUTE_API, 'Route', 'trigger-gateway', ns)).toBeUndefined();
    expect(await read(ROUTE_API, 'Route', 'someone-elses', ns)).toBeDefined();
    expect(await read(GATEWAY_API, 'HTTPRoute', 'someone-elses', ns)).toBeDefined();
  });

  it('a Gateway that allows routes only from its own namespace, or from labelled ones, is refused before anything is written', async () => {
    const ns = freshNamespace('tg-notallowed');
    const refused = await run(Install, ns, '--expose', 'httproute', '--gateway', `same-only.${gatewayNs}`);
    expect(refused.exitCode, refused.stderr).toBe(7);
    expect(refused.stderr).toContain(
      `error: Gateway ${gatewayNs}/same-only does not allow routes from namespace ${ns}`,
    );
    expect(refused.stderr).toContain(
      `listener http allows routes from its own namespace (${gatewayNs}) only`,
    );
    expect(refused.stderr).toContain('A ReferenceGrant does not help here');
    expect(refused.stderr).toContain('allowedRoutes.namespaces');
    expect(await namespaceExists(ns)).toBe(false);

    const unlabelled = await run(Install, ns, '--expose', 'httproute', '--gateway', `labelled.${gatewayNs}`);
    expect(unlabelled.exitCode, unlabelled.stderr).toBe(7);
    expect(unlabelled.stderr).toContain(`namespaces labelled expose-test=allowed, and ${ns} is not`);
    expect(await namespaceExists(ns)).toBe(false);

    // The same Gateway takes the route once the namespace carries the label its listener selects.
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    expect((await kubectl('label', 'namespace', ns, 'expose-test=allowed')).exitCode).toBe(0);
    const accepted = await run(
      Install,
      ns,
      '--expose',
      'httproute',
      '--gateway',
      `labelled.${gatewayNs}`,
      '--timeout',
      '2m',
    );
    expect(accepted.exitCode, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('(Accepted=True Accepted, ResolvedRefs=True ResolvedRefs)');

    // Without the label, the controller withdraws its acceptance, and status says why.
    expect((await kubectl('label', 'namespace', ns, 'expose-test-')).exitCode).toBe(0);
    await eventually(async () => {
      const withdrawn = await statusJson(ns);
      expect(withdrawn.publicUrl).toBeUndefined();
      expect(withdrawn.exposure.note).toContain(
        `Gateway ${gatewayNs}/labelled did not accept the HTTPRoute: NotAllowedByListeners`,
      );
    });
    await run(Uninstall, ns);
  });

  it("a Gateway whose controller refuses the route fails with the controller's reason, exit 7", async () => {
    const ns = freshNamespace('tg-refused');
    const refused = await run(
      Install,
      ns,
      '--expose',
      'httproute',
      '--gateway',
      `example-org.${gatewayNs}`,
      '--host',
      'hooks.example.com',
      '--timeout',
      '2m',
    );
    expect(refused.exitCode, refused.stderr).toBe(7);
    expect(refused.stderr).toContain(
      `error: Gateway ${gatewayNs}/example-org did not accept the HTTPRoute: NoMatchingListenerHostname`,
    );
    // Traefik writes no message: the reason is explained either way, the stand-in's message added.
    expect(refused.stderr).toContain(
      `${controllerName} set Accepted=False, reason NoMatchingListenerHostname: the route's hostnames (hooks.example.com) match no listener's hostname (http: *.example.org)`,
    );
    if (!traefik)
      expect(refused.stderr).toContain("its message: no listener's hostname matches the route's hostnames");
    await run(Uninstall, ns);
  });

  it('a Gateway no controller answers for ends the wait within --timeout, exit 8', async () => {
    const ns = freshNamespace('tg-orphan');
    const rolledOut = await run(Install, ns, '--expose', 'none', '--timeout', '2m');
    expect(rolledOut.exitCode, rolledOut.stderr).toBe(0);
    const waited = await run(
      Install,
      ns,
      '--expose',
      'httproute',
      '--gateway',
      `orphan.${gatewayNs}`,
      '--timeout',
      '3s',
    );
    expect(waited.exitCode, waited.stderr).toBe(8);
    expect(waited.stderr).toContain(
      'error: no controller accepted httproute.gateway.networking.k8s.io/trigger-gateway within the timeout',
    );
    expect(waited.stderr).toContain('kubectl get gatewayclasses');
    await run(Uninstall, ns);
  });

  it('a Route whose host another namespace claimed first is refused with the router reason, exit 7', async () => {
    const claimant = freshNamespace('tg-claim');
    const ns = freshNamespace('tg-late');
    expect((await kubectl('create', 'namespace', claimant)).exitCode).toBe(0);
    await applyObjects([
      {
        apiVersion: ROUTE_API,
        kind: 'Route',
        metadata: { name: 'first', namespace: claimant },
        spec: { host: 'hooks.example.com', to: { kind: 'Service', name: 'web' } },
      },
    ]);
    await eventually(async () => {
      const first = (await read(ROUTE_API, 'Route', 'first', claimant)) as KubeObject & {
        status?: { ingress?: unknown[] };
      };
      expect(first.status?.ingress).toHaveLength(1);
    });
    const refused = await run(
      Install,
      ns,
      '--expose',
      'route',
      '--host',
      'hooks.example.com',
      '--timeout',
      '2m',
    );
    expect(refused.exitCode, refused.stderr).toBe(7);
    expect(refused.stderr).toContain('error: router default did not admit the Route: HostAlreadyClaimed');
    expect(refused.stderr).toContain('route first already exposes hooks.example.com');
    await run(Uninstall, ns);
    await kubectl('delete', 'namespace', claimant, '--wait=false');
  });

  it("test sends through a port-forward, saying why, when nothing exposes the gateway, and to the address of the HTTPRoute's Gateway once one does", async (context) => {
    if (!cluster.runsHaproxy) context.skip('the gateway pods run real HAProxy only where it is installed');
    const ns = freshNamespace('tg-address');
    const sendTest = async () => {
      const sent = await run(Test, ns, '/trigger', '-o', 'json');
      expect(sent.exitCode, sent.stderr).toBe(0);
      return JSON.parse(sent.stdout) as {
        via: string;
        viaReason?: string;
        url: string;
        address?: string;
        status: number;
      };
    };
    const hidden = await run(Install, ns, '--with-echo', '--expose', 'none', '--timeout', '2m');
    expect(hidden.exitCode, hidden.stderr).toBe(0);
    expect(await sendTest()).toMatchObject({
      via: 'port-forward',
      viaReason: expect.stringContaining('no Ingress, HTTPRoute or Route exposes the gateway') as unknown,
      status: 200,
    });

    // The Gateway's data plane: Traefik, at its LoadBalancer address; locally kubectl port-forward to
    // the gateway Service, at the address and port the Gateway asks for and the stand-in reports. The
    // route's own host name (other suites' routes share Traefik) resolves nowhere: test connects to
    // the Gateway's address with it in Host.
    const host = `${ns}.example.test`;
    const forward = traefik ? undefined : await portForward(ns);
    try {
      let name = 'eg';
      let address = cluster.ingressAddress ?? '';
      let port = '';
      if (forward) {
        const forwarded = gateway('forwarded', [
          http({ port: forward.port, allowedRoutes: { namespaces: { from: 'All' } } }),
        ]);
        await applyObjects([
          {
            ...forwarded,
            spec: { ...forwarded.spec, addresses: [{ type: 'IPAddress', value: '127.0.0.1' }] },
          },
        ]);
        [name, address, port] = ['forwarded', '127.0.0.1', `:${forward.port}`];
      }
      const exposed = await run(
        Install,
        ns,
        ...['--with-echo', '--expose', 'httproute', '--gateway', `${name}.${gatewayNs}`, '--host', host],
        ...['--timeout', '2m'],
      );
      expect(exposed.exitCode, exposed.stderr).toBe(0);
      expect(exposed.stdout).toContain(`: http://${host}${port}/`);
      // Traefik applies a route it accepted a moment later, on its own clock.
      const sent = await eventually(sendTest, { timeoutMs: 30_000, intervalMs: 500 });
      expect(sent).toMatchObject({
        via: 'httproute',
        url: `http://${host}${port}/trigger`,
        address,
        viaReason: expect.stringContaining(
          `${host} does not resolve here: sent to its Gateway's address ${address}`,
        ) as unknown,
        status: 200,
      });
    } finally {
      forward?.close();
      // The echo backend in namespace trigger is shared with other suites: only this namespace goes.
      await kubectl('delete', 'namespace', ns, '--wait=false');
    }
  });

  it("uninstall keeps a namespace it created when someone else's HTTPRoute is in it", async () => {
    const ns = freshNamespace('tg-tenant');
    const installed = await run(Install, ns, '--expose', 'none', '--no-wait');
    expect(installed.exitCode, installed.stderr).toBe(0);
    await applyObjects([
      {
        apiVersion: GATEWAY_API,
        kind: 'HTTPRoute',
        metadata: { name: 'someone-elses', namespace: ns },
        spec: { parentRefs: [{ name: 'nowhere' }] },
      },
    ]);
    const removed = await run(Uninstall, ns);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(
      `Kept namespace ${ns}: it holds objects trigger-gateway did not create: httproute.gateway.networking.k8s.io/someone-elses`,
    );
    expect(await read(GATEWAY_API, 'HTTPRoute', 'someone-elses', ns)).toBeDefined();
    await kubectl('delete', 'namespace', ns, '--wait=false');
  });

  it('options that do not fit the kind are usage errors, before any request', async () => {
    const ns = freshNamespace('tg-usage');
    for (const [args, message] of [
      [['--expose', 'httproute'], '--gateway: an HTTPRoute needs a Gateway to attach to'],
      [
        ['--expose', 'httproute', '--gateway', 'eg', '--host', 'h.example.com', '--tls-secret', 'tls'],
        "TLS belongs to the Gateway's listener",
      ],
      [['--expose', 'route', '--tls-secret', 'tls'], 'spec.tls.certificate'],
      [['--expose', 'none', '--host', 'h.example.com'], 'nothing exposes the gateway with --expose none'],
      [['--gateway', 'eg'], '--gateway: a Gateway does not apply to --expose ingress'],
    ] as const) {
      const refused = await run(Install, ns, ...args);
      expect(refused.exitCode, `${args.join(' ')}: ${refused.stderr}`).toBe(2);
      expect(refused.stderr).toContain(message);
    }
    expect(await namespaceExists(ns)).toBe(false);
  });

  it.runIf(row.name === 'real')('the optional files under manifests/expose apply as they are', async () => {
    const existed = await namespaceExists('trigger-gateway');
    if (!existed) expect((await kubectl('create', 'namespace', 'trigger-gateway')).exitCode).toBe(0);
    try {
      for (const file of ['httproute.yaml', 'route.yaml']) {
        const applied = await kubectl(
          'apply',
          '--dry-run=server',
          '-f',
          join(REPO_ROOT, 'manifests/expose', file),
        );
        expect(applied.exitCode, applied.stderr).toBe(0);
        expect(applied.stdout).toMatch(/trigger-gateway (created|configured) \(server dry run\)/);
      }
    } finally {
      if (!existed) await kubectl('delete', 'namespace', 'trigger-gateway', '--wait=false');
    }
  });
});
