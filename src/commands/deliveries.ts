import { Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../base-command.ts';
import { usageError } from '../errors.ts';
import { type DeliveryFilter, parseStatusFilter, PROVIDER_NAMES } from '../haproxy/delivery-query.ts';
import { parseDuration } from '../kube/kubeconfig.ts';
import { deliveryNotFound, listDeliveries } from '../services/deliveries.ts';
import { locateGateway } from '../services/gateway.ts';
import { renderDeliveryDetail, renderDeliveryTable } from '../ui/delivery-text.ts';
import { styleFor } from '../ui/style.ts';

export default class Deliveries extends GatewayCommand<typeof Deliveries> {
  static override summary = 'List the webhooks the gateway received, from its own records.';

  static override description = `Reads the record every gateway pod writes for each request (one JSON line on its stdout: route, provider, event and delivery ID, status, timings) and lists them across all pods, newest first. How far back it reaches is what the pods' logs hold.

--id finds one delivery by the provider's delivery ID (X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Request-UUID) and prints everything recorded about it; when it is not there, it says how far back each pod's log reached.`;

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
  ];

  static override flags = {
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
}
