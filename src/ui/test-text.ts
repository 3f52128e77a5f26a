import type { DeliveryTestResult } from '../services/test-delivery.ts';

export function renderDeliveryTest(result: DeliveryTestResult): string {
  return [
    `Delivered ${result.delivery.provider} ${result.delivery.event} ${result.delivery.id} to ${result.route} → ${result.backend}`,
    `  via ${result.via}: POST ${result.url}`,
    `  HTTP ${result.status} in ${result.latencyMs} ms: ${result.responseBody.trim().slice(0, 300)}`,
    `  the backend logged it:`,
    ...result.evidence.map((entry) => `    ${entry.pod} ${entry.line.slice(0, 300)}`),
  ].join('\n');
}
