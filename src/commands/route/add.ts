import { Args, Flags } from '@oclif/core';
import { configDiffFlag, GatewayCommand, outputFlag, rolloutFlags } from '../../base-command.ts';
import { usageError } from '../../errors.ts';
import {
  parseHeaderMatch,
  parsePathMatch,
  parseServiceRef,
  type RouteMatch,
  type RouteSpec,
} from '../../haproxy/routes.ts';
import { parseDuration } from '../../kube/kubeconfig.ts';
import { limitFlags, limitsFromFlags } from '../../limit-flags.ts';
import { resolveEventListener } from '../../services/event-listener.ts';
import { locateGatewayAndSay } from '../../services/gateway.ts';
import { addGatewayRoute } from '../../services/routes.ts';
import { renderRouteChange } from '../../ui/route-text.ts';

export default class RouteAdd extends GatewayCommand<typeof RouteAdd> {
  static override summary = 'Route a path (or a header) to a Service or an EventListener.';

  static override description = `Adds a route to the gateway's haproxy.cfg and rolls the gateway pods so that it takes effect.

Each route enforces limits in HAProxy: --max-body (413), --rate-limit (429 with Retry-After), --allow-from (403) and --max-concurrent (503 after 5s in the queue). Those not given follow the gateway defaults (install --max-body …; a new gateway's is 25MiB for --max-body and no limit for the others); "none" (or "any" for --allow-from) turns one off for this route. --overwrite rewrites a route as this command describes it.

PATH matches whole segments: /github matches /github and /github/x, never /githubs; the longest matching path wins. BACKEND is SERVICE.NAMESPACE:PORT, SERVICE.NAMESPACE.svc.cluster.local:PORT, or SERVICE:PORT for a Service in the current namespace. The new config is checked by our parser and by haproxy -c before it is written (this machine's when it matches the pods' version, else the pods' own through kubectl exec; the output says which); concurrent edits never lose one another. When a new gateway pod crashes on the change, the previous haproxy.cfg and pod template are put back (exit 9; --no-rollback keeps the failed state).`;

  static override examples = [
    {
      description: 'Send GitHub deliveries to a listener Service',
      command: '<%= config.bin %> <%= command.id %> /github el-github-listener.ci:8080',
    },
    {
      description: 'Route to an EventListener by name, on the port it really serves',
      command: '<%= config.bin %> <%= command.id %> /gitlab --event-listener gitlab --listener-namespace ci',
    },
    {
      description: 'Forward /github/x as /x',
      command: '<%= config.bin %> <%= command.id %> /github el-github.ci:8080 --strip-prefix',
    },
    {
      description: 'Route on a header instead of a path',
      command:
        '<%= config.bin %> <%= command.id %> --header X-Github-Event pipelines-as-code-controller.openshift-pipelines:8080',
    },
    {
      description: 'Refuse bodies over 1 MiB, allow only GitHub hook sources, 10 requests/s per source',
      command:
        '<%= config.bin %> <%= command.id %> /github el-github.ci:8080 --max-body 1MiB --allow-from-file github-hooks.txt --rate-limit 10/s --rate-limit-per-source',
    },
    {
      description: 'Change the limits of an existing route (flags left out follow the gateway defaults)',
      command: '<%= config.bin %> <%= command.id %> /github el-github.ci:8080 --max-concurrent 5 --overwrite',
    },
    {
      description: 'Show the haproxy.cfg diff without changing anything',
      command: '<%= config.bin %> <%= command.id %> /github el-github.ci:8080 --dry-run',
    },
  ];

  static override args = {
    path: Args.string({ description: 'URL path prefix to route, e.g. /github (omit with --header).' }),
    backend: Args.string({ description: 'Service to route to: SERVICE.NAMESPACE:PORT or SERVICE:PORT.' }),
  };

  static override flags = {
    header: Flags.string({
      summary: 'Route requests carrying this header (NAME, or NAME=VALUE) instead of a path.',
    }),
    'event-listener': Flags.string({
      summary: 'Route to this Tekton EventListener instead of naming a Service.',
    }),
    'listener-namespace': Flags.string({
      summary: "The EventListener's namespace (default: the current namespace).",
      dependsOn: ['event-listener'],
    }),
    'strip-prefix': Flags.boolean({
      summary: 'Remove PATH from the request path before forwarding (/github/x → /x).',
    }),
    overwrite: Flags.boolean({
      summary: 'Replace a route that already exists: its backend and its limits.',
    }),
    ...limitFlags('route'),
    'dry-run': configDiffFlag,
    ...rolloutFlags,
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { flags } = this;
    const { match, backendText } = this.matchAndBackend();
    if (flags['strip-prefix'] && match.type !== 'path') {
      throw usageError(
        '--strip-prefix works only with a path route',
        'a header route has no path prefix to remove',
      );
    }
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const limits = limitsFromFlags(flags);
    const kube = this.kube();
    const spec: RouteSpec = { ...(await this.backendFor(match, backendText)), limits };
    return this.runWithProgress(
      async (progress) => {
        const location = await locateGatewayAndSay(kube, progress);
        const options = { dryRun: flags['dry-run'], wait: flags.wait, timeoutMs, rollback: flags.rollback };
        return addGatewayRoute(kube, location, spec, flags.overwrite, options, progress);
      },
      flags.output,
      renderRouteChange,
    );
  }

  /** Which positional is which depends on --header and --event-listener; every mix-up gets its own message. */
  private matchAndBackend(): { match: RouteMatch; backendText: string | undefined } {
    const { args, flags } = this;
    const positional = [args.path, args.backend].filter((value): value is string => value !== undefined);
    const byListener = flags['event-listener'] !== undefined;
    if (flags.header !== undefined) {
      if (positional.length > (byListener ? 0 : 1)) {
        throw usageError('with --header, give only the BACKEND', `got ${positional.join(' ')}`, [
          'kubectl trigger-gateway route add --header X-Github-Event el-pac.ci:8080',
        ]);
      }
      return { match: parseHeaderMatch(flags.header), backendText: positional[0] };
    }
    const [path, backend] = positional;
    if (path === undefined) {
      throw usageError('route add needs a PATH (or --header NAME)', 'nothing to match requests on', [
        'kubectl trigger-gateway route add /github el-github-listener.ci:8080',
      ]);
    }
    if (byListener && backend !== undefined) {
      throw usageError('give either BACKEND or --event-listener, not both', `got BACKEND ${backend}`);
    }
    return { match: parsePathMatch(path), backendText: backend };
  }

  private async backendFor(match: RouteMatch, backendText: string | undefined): Promise<RouteSpec> {
    const { flags } = this;
    const kube = this.kube();
    const stripPrefix = flags['strip-prefix'];
    if (flags['event-listener'] !== undefined) {
      const namespace = flags['listener-namespace'] ?? kube.target.currentNamespace;
      const listener = await resolveEventListener(kube, flags['event-listener'], namespace);
      return { match, service: listener.service, tls: listener.tls, stripPrefix };
    }
    if (backendText === undefined) {
      throw usageError(
        'route add needs a BACKEND (or --event-listener NAME)',
        'nowhere to send the requests',
        ['kubectl trigger-gateway route add /github el-github-listener.ci:8080'],
      );
    }
    return { match, service: parseServiceRef(backendText, kube.target.currentNamespace), stripPrefix };
  }
}
