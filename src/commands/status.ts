import { setFlagsFromString } from 'node:v8';
import { Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../base-command.ts';
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { parseDuration } from '../kube/kubeconfig.ts';
import { tailBackendLogs } from '../services/backend-logs.ts';
import { listDeliveries } from '../services/deliveries.ts';
import { type GatewayLocation, locateGateway } from '../services/gateway.ts';
import { readGatewayStatus } from '../services/status.ts';
import type { GatewayStatus, RouteStatus } from '../services/status-model.ts';
import { watchGatewayStatus } from '../services/status-watch.ts';
import { sampleDeliveryTest, testDelivery } from '../services/test-delivery.ts';
import { podLogPrinter } from '../ui/log-lines.ts';
import { renderStatusSnapshot, statusChanges } from '../ui/status-text.ts';

/** Progress that goes nowhere: inside the live view, only the result line is shown. */
const SILENT = { update() {}, done() {}, warn() {}, stop() {} };

export default class Status extends GatewayCommand<typeof Status> {
  static override summary = 'Watch the gateway: its pods, routes and their traffic, live.';

  static override description = `On a terminal, a live view: the context (and kcp workspace), namespace, public URL and HAProxy version; the gateway pods, ready and running the current config or not; every route with its Service's ready endpoints and HAProxy's own view of the backend (UP/DOWN, sessions, requests, 2xx/4xx/5xx, time since the last request, read through the API server's pod proxy); and recent warning events. Objects are watched, stats polled every --interval.

Under the routes, the selected route's last deliveries (age, event, delivery ID, status, total time) from the gateway's own records, updated as they arrive.

Keys: ↑/↓ select a route, t sends a test webhook to it, l leaves and follows its backend's logs, d (or Enter) opens all the route's recorded deliveries (Enter on one shows everything recorded about it, d or Esc goes back), r reads the stats now, ? help, q quits.

Not on a terminal (piped, in CI) it prints one aligned snapshot; -o json|yaml gives the same data to scripts, and --watch prints one line per change instead of the view.`;

  static override examples = [
    { description: 'The live view', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Routes whose backend HAProxy sees as down, for a script',
      command: `<%= config.bin %> <%= command.id %> -o json | jq '.routes[] | select(.stats.status != "UP") | .match'`,
    },
    {
      description: 'A line per change, e.g. into a log file',
      command: '<%= config.bin %> <%= command.id %> --watch',
    },
  ];

  static override flags = {
    watch: Flags.boolean({ char: 'w', summary: 'Print a line per change instead of the live view.' }),
    interval: Flags.string({ summary: "How often to read HAProxy's stats.", default: '5s' }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { flags } = this;
    const intervalMs = Math.max(1000, parseDuration(flags.interval, 'interval'));
    const kube = this.kube();
    const location = await locateGateway(kube);
    if (flags.watch && flags.output === undefined) return this.printChanges(kube, location, intervalMs);
    const interactive = process.stdin.isTTY && process.stdout.isTTY && !process.env.CI && !flags.output;
    if (interactive) return this.liveView(kube, location, intervalMs);
    const status = await readGatewayStatus(kube, location);
    this.printResult(status, flags.output, (value) => renderStatusSnapshot(value));
    return status;
  }

  /** --watch: the first reading in full, then what changes, until Ctrl-C. */
  private async printChanges(kube: KubeClient, location: GatewayLocation, intervalMs: number): Promise<void> {
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    let last: GatewayStatus | undefined;
    try {
      watchGatewayStatus(kube, location, {
        signal: stop.signal,
        statsIntervalMs: intervalMs,
        onStatus: (status) => {
          const lines = statusChanges(last, status);
          last = status;
          if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
        },
      });
      await new Promise<void>((done) => stop.signal.addEventListener('abort', () => done(), { once: true }));
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  }

  private async liveView(kube: KubeClient, location: GatewayLocation, intervalMs: number): Promise<void> {
    // Frames are short-lived garbage V8 would grow its young generation to 128 MiB for; startup's size suffices.
    setFlagsFromString('--semi-space-growth-factor=1');
    // ink colours through chalk, which ignores NO_COLOR (https://no-color.org) but reads FORCE_COLOR when loaded.
    if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
    // ink and React are loaded only here: every other command starts without them.
    // React is CommonJS: its exports sit on `default` for Node and for the bundle alike.
    const [{ render }, { default: React }, { StatusApp }, { useGatewayStatus }, { useDeliveryFeed }] =
      await Promise.all([
        import('ink'),
        import('react'),
        import('../ui/status/app.tsx'),
        import('../ui/status/use-gateway-status.ts'),
        import('../ui/status/use-delivery-feed.ts'),
      ]);
    let logsOf: RouteStatus | undefined;
    const app = render(
      React.createElement(StatusApp, {
        useStatus: () => useGatewayStatus(kube, location, intervalMs),
        useDeliveries: (shown: string | undefined) => useDeliveryFeed(kube, location, shown),
        loadRouteDeliveries: async (route: RouteStatus) =>
          (await listDeliveries(kube, location, { filter: { route: route.match } })).deliveries,
        onTest: (route: RouteStatus) => this.testRoute(kube, route),
        onLogs: (route: RouteStatus) => {
          logsOf = route;
          app.unmount();
        },
      }),
      { exitOnCtrlC: false },
    );
    await app.waitUntilExit();
    if (logsOf) await this.followLogs(kube, logsOf);
  }

  /** `t`: one signed test delivery through the gateway, summed up in one line for the view. */
  private async testRoute(kube: KubeClient, route: RouteStatus): Promise<string> {
    if (!route.match.startsWith('/')) return `t sends to path routes; ${route.match} matches a header`;
    try {
      const result = await testDelivery(kube, sampleDeliveryTest(route.match, 30_000), SILENT);
      const pod = result.evidence[0]?.pod;
      return `✓ ${route.match}: HTTP ${result.status} in ${result.latencyMs} ms, logged by ${pod ?? 'the backend'}`;
    } catch (error) {
      return `✗ ${route.match}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** `l`: the view is gone; the backend's logs follow until Ctrl-C, like stern. */
  private async followLogs(kube: KubeClient, route: RouteStatus): Promise<void> {
    if (!route.service) {
      throw new GatewayError(`the route ${route.match} does not point at a Service`, {
        why: `its backend is ${route.backend}; there are no pods to follow`,
        exitCode: ExitCode.clusterState,
      });
    }
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    process.stderr.write(`Following the logs of ${route.backend} for ${route.match} (Ctrl-C stops)\n`);
    try {
      await tailBackendLogs(kube, route.service, route.match, podLogPrinter(process.stdout), stop.signal);
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  }
}
