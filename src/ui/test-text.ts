import type { ListenerReport } from '../services/listener-delivery.ts';
import type { CreatedObject } from '../tekton/created.ts';
import type { DeliveryTestResult } from '../services/test-delivery.ts';

export function gatewayLine(record: DeliveryTestResult['gateway']): string {
  if (record === 'not-recording')
    return 'the gateway records no deliveries (kubectl trigger-gateway install adds that)';
  if (!record) return 'the gateway has no record of it yet';
  return `the gateway recorded it: pod ${record.pod}, route ${record.route ?? 'none'}, HTTP ${record.status}${record.activeMs === undefined ? '' : ` in ${record.activeMs} ms`} (termination ${record.termination})`;
}

/** One object a listener created: "PipelineRun ci/build-x7k2p (trigger github-push)". */
export const createdText = (object: CreatedObject) =>
  `${object.kind} ${object.namespace}/${object.name}${object.trigger ? ` (trigger ${object.trigger})` : ''}`;

/** Which trigger, Secret (by name) and event were used; the secret itself never. */
function listenerLines(listener: ListenerReport): string[] {
  const { secret } = listener;
  const signed =
    secret.source === 'none'
      ? 'unsigned'
      : secret.source === 'secret'
        ? 'signed with --secret'
        : `signed with secret ${secret.name} (key ${secret.key})${secret.source === 'interceptor' ? ` as its ${listener.interceptor} interceptor reads it` : ''}`;
  const accepted = listener.eventTypes ? ` (it accepts ${listener.eventTypes.join(', ')})` : '';
  return [
    `  eventlistener ${listener.namespace}/${listener.name}: ${listener.trigger ? `trigger ${listener.trigger}, ` : ''}${signed}, event ${listener.event}${accepted}`,
    `  it created for event ${listener.eventId ?? '?'}:`,
    ...listener.created.map((object) => `    ${createdText(object)}`),
  ];
}

export function renderDeliveryTest(result: DeliveryTestResult): string {
  return [
    `Delivered ${result.delivery.provider} ${result.delivery.event} ${result.delivery.id} to ${result.route} → ${result.backend}`,
    `  via ${result.via}: POST ${result.url}${result.address ? ` at ${result.address}` : ''}${result.viaReason ? ` (${result.viaReason})` : ''}`,
    `  HTTP ${result.status} in ${result.latencyMs} ms: ${result.responseBody.trim().slice(0, 300)}`,
    `  ${gatewayLine(result.gateway)}`,
    ...(result.listener ? listenerLines(result.listener) : []),
    ...(result.evidence.length > 0 || !result.listener ? [`  the backend logged it:`] : []),
    ...result.evidence.map((entry) => `    ${entry.pod} ${entry.line.slice(0, 300)}`),
  ].join('\n');
}
