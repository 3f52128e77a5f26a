import { Flags } from '@oclif/core';
import * as yaml from 'js-yaml';
import { GatewayCommand, outputFlag, rolloutFlags } from '../base-command.ts';
import { usageError } from '../errors.ts';
import { parseExportRef } from '../kcp/bindings.ts';
import { parseTrustedProxies } from '../haproxy/routes.ts';
import { parseDuration } from '../kube/kubeconfig.ts';
import { limitFlags, limitsFromFlags } from '../limit-flags.ts';
import { validateGatewayOptions } from '../manifests/options.ts';
import { DEFAULT_GATEWAY_OPTIONS, InvalidOptionError } from '../manifests/render.ts';
import { EXPOSE_KINDS, type ExposeKind, type GatewayOptions, type GatewayRef } from '../manifests/types.ts';
import { installGateway, renderInstall } from '../services/install.ts';
import { renderInstallResult } from '../ui/install-text.ts';

/** The flag a user typed for each option, so that errors name it. */
const FLAG_OF_OPTION: Record<string, string> = {
  namespace: '--namespace',
  expose: '--expose',
  gateway: '--gateway',
  section: '--section',
  host: '--host',
  ingressClass: '--ingress-class',
  tlsSecret: '--tls-secret',
  image: '--image',
  replicas: '--replicas',
};

/** `NAME` or `NAME.NAMESPACE`: a namespace has no dots, so the last one separates it. */
function parseGatewayRef(value: string, section: string | undefined): GatewayRef {
  const dot = value.lastIndexOf('.');
  const [name, namespace] = dot < 0 ? [value, undefined] : [value.slice(0, dot), value.slice(dot + 1)];
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(section !== undefined ? { section } : {}),
  };
}

/** Fails on a bad option before any cluster is asked anything. */
function checkOptions(options: GatewayOptions): void {
  try {
    validateGatewayOptions(options);
  } catch (error) {
    const flag = error instanceof InvalidOptionError ? FLAG_OF_OPTION[error.option] : undefined;
    if (!flag || !(error instanceof InvalidOptionError)) throw error;
    throw usageError(`${flag}: ${error.message}`, error.hint);
  }
}

export default class Install extends GatewayCommand<typeof Install> {
  static override summary = 'Install or upgrade the gateway in a namespace.';

  static override description = `Applies the bundled gateway (HAProxy Deployment, its ConfigMap, Services, PodDisruptionBudget and Ingress) with server-side apply, then waits for the rollout.

--expose picks how the gateway is reached: an Ingress (default), an HTTPRoute attached to an existing Gateway (--gateway; install waits for the Gateway's controller to accept it), an OpenShift Route (install waits for a router to admit it and reports its host), or none (test and status use a port-forward). Changing --expose on a re-install removes the object of the old kind that install created, and nothing else.

It also sets who may be believed about the client address (--trusted-proxies) and the limits every route gets unless it sets its own (--max-body, --rate-limit, --allow-from, --max-concurrent; a route that follows a default is rewritten when the default changes). Values not given are kept from the live config.

Running it again upgrades in place and changes nothing when nothing changed. Routes and hand edits in the live haproxy.cfg are always kept. Every object is checked with a server-side dry run before anything is written, so a refusal leaves the cluster as it was. A changed haproxy.cfg is checked by haproxy -c first (this machine's, or the gateway pods' own through kubectl exec), and when a new gateway pod crashes on the change, the previous haproxy.cfg and pod template are put back (exit 9; --no-rollback keeps the failed state).`;

  static override examples = [
    {
      description: 'Install into the trigger-gateway namespace and wait until it serves',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Expose it on a host name with TLS through the nginx ingress class',
      command:
        '<%= config.bin %> <%= command.id %> --host hooks.example.com --tls-secret hooks-tls --ingress-class nginx',
    },
    {
      description: 'Expose it through an existing Gateway API Gateway (eg in namespace envoy-gateway-system)',
      command:
        '<%= config.bin %> <%= command.id %> --expose httproute --gateway eg.envoy-gateway-system --host hooks.example.com',
    },
    {
      description: 'OpenShift: expose it with a Route (edge TLS; the router assigns a host)',
      command: '<%= config.bin %> <%= command.id %> --expose route',
    },
    {
      description: 'Also deploy the httpecho backend and route /trigger to it',
      command: '<%= config.bin %> <%= command.id %> --with-echo',
    },
    {
      description:
        'kcp: create the infra workspace (or use it), bind compute APIs into it, install there and enter it',
      command: '<%= config.bin %> <%= command.id %> --workspace infra --bind root:compute:kubernetes',
    },
    {
      description:
        'Believe X-Forwarded-For from the ingress controller pods only, and limit every route to 1 MiB and 100 requests/s unless it says otherwise',
      command:
        '<%= config.bin %> <%= command.id %> --trusted-proxies 10.244.0.0/16 --max-body 1MiB --rate-limit 100/s',
    },
    {
      description: 'Print the exact objects without touching any cluster',
      command: '<%= config.bin %> <%= command.id %> --dry-run',
    },
  ];

  static override flags = {
    expose: Flags.string({
      summary:
        'How the gateway is reached: an Ingress, a Gateway API HTTPRoute, an OpenShift Route, or none.',
      options: [...EXPOSE_KINDS],
      default: DEFAULT_GATEWAY_OPTIONS.expose,
    }),
    host: Flags.string({
      summary:
        'Host name the Ingress, HTTPRoute or Route answers for (default: any host; a Route gets one from the router).',
    }),
    'ingress-class': Flags.string({ summary: 'IngressClass to use (default: the cluster default).' }),
    'tls-secret': Flags.string({
      summary: 'Secret holding the TLS certificate for --host (Ingress only).',
    }),
    gateway: Flags.string({
      summary: 'The Gateway an HTTPRoute attaches to, NAME or NAME.NAMESPACE (--expose httproute).',
    }),
    section: Flags.string({
      summary:
        'The Gateway listener to attach to (its sectionName; default: any listener that allows the route).',
      dependsOn: ['gateway'],
    }),
    image: Flags.string({ summary: 'HAProxy image to run.', default: DEFAULT_GATEWAY_OPTIONS.image }),
    replicas: Flags.integer({
      summary: 'Number of gateway pods.',
      default: DEFAULT_GATEWAY_OPTIONS.replicas,
    }),
    'with-echo': Flags.boolean({
      summary: 'Also deploy the httpecho backend (namespace trigger) and route /trigger to it.',
    }),
    'dry-run': Flags.boolean({
      summary: 'Print the objects that would be applied; no cluster is needed.',
      exclusive: ['workspace', 'bind'],
    }),
    workspace: Flags.string({
      summary:
        'kcp: install into this workspace (relative like infra, or :root:org:infra), created if missing, and enter it.',
      helpGroup: 'KCP',
    }),
    bind: Flags.string({
      summary:
        'kcp: bind this APIExport (PATH:EXPORT) first, for workspaces without Deployments, Services or Ingresses.',
      multiple: true,
      helpGroup: 'KCP',
    }),
    'trusted-proxies': Flags.string({
      summary:
        'Proxies whose X-Forwarded-For names the client, CIDR[,CIDR…] or none (default: kept; first install: the pod ranges of the Nodes, if any).',
      helpGroup: 'LIMITS',
    }),
    ...limitFlags('gateway'),
    ...rolloutFlags,
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { flags } = this;
    const options: GatewayOptions = {
      ...DEFAULT_GATEWAY_OPTIONS,
      namespace: this.namespaceOffline(),
      expose: flags.expose as ExposeKind,
      gateway: flags.gateway === undefined ? undefined : parseGatewayRef(flags.gateway, flags.section),
      host: flags.host,
      ingressClass: flags['ingress-class'],
      tlsSecret: flags['tls-secret'],
      image: flags.image,
      replicas: flags.replicas,
      withEcho: flags['with-echo'],
      version: this.config.version,
      routeDefaults: limitsFromFlags(flags),
      ...(flags['trusted-proxies'] === undefined
        ? {}
        : { trustedProxies: parseTrustedProxies(flags['trusted-proxies']) }),
    };
    checkOptions(options);
    if (flags['dry-run']) {
      const objects = renderInstall(options);
      if (flags.output === 'json')
        this.printResult({ apiVersion: 'v1', kind: 'List', items: objects }, 'json', String);
      else
        process.stdout.write(
          objects.map((object) => yaml.dump(object, { lineWidth: -1, noRefs: true })).join('---\n'),
        );
      return objects;
    }
    const bind = (flags.bind ?? []).map(parseExportRef);
    const kube = this.kube();
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const request = {
      options,
      wait: flags.wait,
      timeoutMs,
      rollback: flags.rollback,
      workspace: flags.workspace,
      bind,
    };
    return this.runWithProgress(
      (progress) => installGateway(kube, request, progress),
      flags.output,
      renderInstallResult,
    );
  }
}
