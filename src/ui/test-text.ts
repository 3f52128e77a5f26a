import type { DeliveryTestResult } from '../services/test-delivery.ts';

function gatewayLine(record: DeliveryTestResult['gateway']): string {
  if (record === 'not-recording')
    return 'the gateway records no deliveries (kubectl trigger-gateway install adds that)';
  if (!record) return 'the gateway has no record of it yet';
  return `the gateway recorded it: pod ${record.pod}, route ${record.route ?? 'none'}, HTTP ${record.status}${record.totalMs === undefined ? '' : ` in ${record.totalMs} ms`} (termination ${record.termination})`;
}

export function renderDeliveryTest(result: DeliveryTestResult): string {
  return [
    `Delivered ${result.delivery.provider} ${result.delivery.event} ${result.delivery.id} to ${result.route} → ${result.backend}`,
    `  via ${result.via}: POST ${result.url}${result.viaReason ? ` (${result.viaReason})` : ''}`,
    `  HTTP ${result.status} in ${result.latencyMs} ms: ${result.responseBody.trim().slice(0, 300)}`,
    `  ${gatewayLine(result.gateway)}`,
    `  the backend logged it:`,
    ...result.evidence.map((entry) => `    ${entry.pod} ${entry.line.slice(0, 300)}`),
  ].join('\n');
}
