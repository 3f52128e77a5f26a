import { once } from 'node:events';
import { Flags } from '@oclif/core';
import * as yaml from 'js-yaml';
import { GatewayCommand, type OutputFormat, outputFlag } from '../base-command.ts';
import { usageError } from '../errors.ts';
import { type DeliveryFilter, parseStatusFilter, PROVIDER_NAMES } from '../haproxy/delivery-query.ts';
import { parseDuration } from '../kube/kubeconfig.ts';
import type { KubeClient } from '../kube/client.ts';
import { deliveryNotFound, type ListedDelivery, listDeliveries } from '../services/deliveries.ts';
import { followDeliveries } from '../services/deliveries-follow.ts';
import { type GatewayLocation, locateGateway } from '../services/gateway.ts';
import {
  DELIVERY_FOLLOW_HEADER,
  renderDeliveryDetail,
  renderDeliveryFollowRow,
  renderDeliveryTable,
} from '../ui/delivery-text.ts';
import { styleFor } from '../ui/style.ts';

export default class Deliveries extends GatewayCommand<typeof Deliveries> {
  static override summary = 'List the webhooks the gateway received, from its own records.';

  static override description = `Reads the record every gateway pod writes for each request (one JSON line on its stdout: route, provider, event and delivery ID, status, timings) and lists them across all pods, newest first. How far back it reaches is what the pods' logs hold.

--follow prints each new delivery as the gateway records it, across all gateway pods, also the pods a rollout starts, until Ctrl-C: a row per delivery, or with -o json one JSON object per line (-o yaml: one YAML document per delivery). The pods it follows come and go on stderr (+ pod, - pod).

--id finds one delivery by the provider's delivery ID (X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Request-UUID, X-Gitea-Delivery) and prints everything recorded about it; when it is not there, it says how far back each pod's log reached.`;

  static override examples = [
    { description: 'Recent deliveries', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'One GitHub delivery, by the ID shown under Recent Deliveries',
      command: '<%= config.bin %> <%= command.id %> --id 72d3162e-cc78-11e3-81ab-4c9367dc0958',
    },
    {
      description: 'Failed pushes to /github in the last hour',
      command: '<%= config.bin %> <%= command.id %> --route /github --event push --status 5xx --since 1h',
    },
    {
      description: 'Watch failing deliveries arrive, one JSON object a line',
      command: '<%= config.bin %> <%= command.id %> --follow --status 5xx -o json',
    },
  ];

  static override flags = {
    follow: Flags.boolean({
      char: 'f',
      summary: 'Print new deliveries as they arrive, from every gateway pod, until Ctrl-C.',
      exclusive: ['id', 'since', 'limit'],
    }),
    id: Flags.string({ summary: "Find one delivery by the provider's delivery ID (exact match)." }),
    route: Flags.string({ summary: 'Only this route, as route list shows it, e.g. /github.' }),
    status: Flags.string({ summary: 'Only these statuses: 2xx, 4xx, 5xx or a code such as 404.' }),
    provider: Flags.option({ options: PROVIDER_NAMES, summary: 'Only this provider.' })(),
    event: Flags.string({ summary: "Only this event, as the provider names it, e.g. push or 'Push Hook'." }),
    since: Flags.string({
      summary: "Only deliveries this recent, e.g. 1h (default: all the pods' logs hold).",
    }),
    limit: Flags.integer({ summary: 'Show at most this many (the newest).', min: 1 }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { flags } = this;
    const status = flags.status === undefined ? undefined : parseStatusFilter(flags.status);
    if (flags.status !== undefined && !status)
      throw usageError(`--status "${flags.status}" is not a status`, 'it takes a class or a code', [
        'pass for example --status 5xx or --status 404',
      ]);
    const filter: DeliveryFilter = {
      id: flags.id,
      route: flags.route,
      status,
      provider: flags.provider,
      event: flags.event,
      sinceMs: flags.since === undefined ? undefined : Date.now() - parseDuration(flags.since, 'since'),
    };
    const kube = this.kube();
    const location = await locateGateway(kube);
    if (flags.follow) {
      await this.follow(kube, location, filter, flags.output);
      return undefined;
    }
    const result = await listDeliveries(kube, location, { filter, limit: flags.limit });
    if (flags.id !== undefined && result.deliveries.length === 0) throw deliveryNotFound(flags.id, result);
    const style = styleFor(process.stdout);
    this.printResult(result.deliveries, flags.output, (deliveries) =>
      flags.id === undefined
        ? renderDeliveryTable(deliveries, style)
        : deliveries.map((delivery) => renderDeliveryDetail(delivery, style)).join('\n\n'),
    );
    return result.deliveries;
  }

  /** --follow: rows on stdout as they arrive, the pods followed on stderr; Ctrl-C ends it with exit 0. */
  private async follow(
    kube: KubeClient,
    location: GatewayLocation,
    filter: DeliveryFilter,
    output: OutputFormat | undefined,
  ): Promise<void> {
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    const style = styleFor(process.stdout);
    const render = (delivery: ListedDelivery): string => {
      if (output === 'json') return `${JSON.stringify(delivery)}\n`;
      if (output === 'yaml') return `---\n${yaml.dump(delivery, { noRefs: true, lineWidth: -1 })}`;
      return `${renderDeliveryFollowRow(delivery, style)}\n`;
    };
    // A slow reader (a pipe) holds the log streams back instead of letting output pile up in memory.
    const print = async (text: string) => {
      if (!process.stdout.write(text))
        await once(process.stdout, 'drain', { signal: stop.signal }).catch(() => {});
    };
    try {
      if (output === undefined) await print(`${DELIVERY_FOLLOW_HEADER}\n`);
      process.stderr.write(
        `Following the deliveries of the gateway in namespace ${location.namespace} (Ctrl-C stops)\n`,
      );
      await followDeliveries(kube, location, {
        filter,
        signal: stop.signal,
        onDelivery: (delivery) => print(render(delivery)),
        onPod: (change, pod) => process.stderr.write(`${change} ${pod}\n`),
        onError: (error) =>
          process.stderr.write(`warning: ${error instanceof Error ? error.message : String(error)}\n`),
      });
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  }
}
