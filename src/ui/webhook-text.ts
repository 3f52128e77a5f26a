/** Plain-text results of `webhook add|list|remove`. No secret ever reaches them: the results hold none. */
import { FORGE_NAMES, type LastDelivery } from '../forge/index.ts';
import type {
  HookSummary,
  WebhookAddResult,
  WebhookListResult,
  WebhookRemoveResult,
} from '../services/webhooks.ts';
import type { WebhookTestResult } from '../services/webhook-test.ts';
import { formatTable } from './table-text.ts';
import { createdText, gatewayLine } from './test-text.ts';

const URL_FROM: Record<WebhookAddResult['urlFrom'], string> = {
  url: '--url',
  ingress: "the gateway's Ingress",
  httproute: "the gateway's HTTPRoute",
  route: "the gateway's OpenShift Route",
};

const ACTION: Record<WebhookAddResult['action'], string> = {
  created: 'Registered',
  updated: 'Updated',
  unchanged: 'Already registered, unchanged:',
};

function hookDetails(hook: HookSummary): string {
  const tls =
    hook.verifiesTls === undefined
      ? "TLS verified unless the server's administrator turned it off"
      : hook.verifiesTls
        ? 'TLS verified'
        : 'TLS NOT verified';
  return `id ${hook.id}, events ${hook.events.join(', ') || 'none'}; content ${hook.contentType.toUpperCase()}, ${tls}${hook.active ? '' : ', INACTIVE'}${hook.health ? `, ${hook.health}` : ''}`;
}

function secretText(secret: WebhookAddResult['secret']): string {
  const where = `Secret ${secret.namespace}/${secret.name} (key ${secret.key})`;
  const checked = secret.namedBy === 'listener' ? ", which the listener's interceptor checks" : '';
  if (secret.from === 'generated') return `generated, stored in ${where}${checked}`;
  if (secret.from === 'secret') return `from ${where}${checked}`;
  return 'none set by this command (pass --secret-from NAME to set one)';
}

const EVENTS_FROM: Record<WebhookAddResult['events']['from'], string> = {
  flag: '--events',
  listener: "what the listener's interceptor accepts",
  default: 'the default',
};

function listenerText(listener: NonNullable<WebhookAddResult['listener']>): string {
  const checks = listener.checks.map(
    (check) => `trigger ${check.trigger}'s ${check.interceptor} interceptor`,
  );
  return `eventlistener ${listener.namespace}/${listener.name}${checks.length ? `: ${checks.join(', ')}` : ', whose triggers check no provider'}`;
}

export function renderWebhookAdd(result: WebhookAddResult): string {
  const lines = [
    `${ACTION[result.action]} ${result.url} on ${result.repository} (${FORGE_NAMES[result.provider]})`,
    formatTable([
      ['  hook', hookDetails(result.hook)],
      ['  route', `${result.route} → ${result.backend ?? '-'}`],
      ...(result.listener ? [['  listener', listenerText(result.listener)]] : []),
      ['  events', `${result.events.list.join(', ')} (${EVENTS_FROM[result.events.from]})`],
      ['  secret', secretText(result.secret)],
      ['  address', `from ${URL_FROM[result.urlFrom]}`],
      ['  token', result.token],
    ]),
  ];
  if (result.removedDuplicates.length)
    lines.push(
      `Removed ${result.removedDuplicates.length} more webhook(s) for the same URL: ${result.removedDuplicates.join(', ')}`,
    );
  return lines.join('\n');
}

function deliveryText(delivery: LastDelivery): string {
  if (delivery.kind === 'none') return 'none yet';
  if (delivery.kind === 'unavailable') return '-';
  const code = delivery.code === undefined ? '' : `${delivery.code} `;
  return `${code}${delivery.status === String(delivery.code) ? '' : delivery.status}${delivery.at ? `, ${delivery.at}` : ''}`.trim();
}

export function renderWebhookList(result: WebhookListResult): string {
  const name = FORGE_NAMES[result.provider];
  const lines: string[] = [];
  if (result.hooks.length === 0) {
    lines.push(`${result.repository} (${name}) has no webhook for ${result.base}.`);
  } else {
    lines.push(
      formatTable([
        ['ID', 'PATH', 'ROUTE', 'EVENTS', 'ACTIVE', 'LAST DELIVERY'],
        ...result.hooks.map((hook) => [
          hook.id,
          hook.path,
          hook.route ?? 'none (404)',
          hook.events.join(',') || '-',
          hook.active ? 'yes' : 'no',
          deliveryText(hook.lastDelivery),
        ]),
      ]),
    );
    const reasons = new Set(
      result.hooks.flatMap((hook) =>
        hook.lastDelivery.kind === 'unavailable' ? [hook.lastDelivery.why] : [],
      ),
    );
    for (const reason of reasons) lines.push(`Last delivery: ${reason}.`);
  }
  if (result.others) lines.push(`${result.others} other webhook(s) of ${result.repository} point elsewhere.`);
  return lines.join('\n');
}

export function renderWebhookRemove(result: WebhookRemoveResult): string {
  const ids = result.removed.map((hook) => hook.id).join(', ');
  return `Removed webhook ${ids} (${result.url}) from ${result.repository} (${FORGE_NAMES[result.provider]}). Any Secret holding its secret is kept.`;
}

const FOUND_BY: Record<WebhookTestResult['delivery']['foundBy'], string> = {
  provider: "named by the provider's record of the hook",
  gateway:
    "the gateway's first new record of the provider on the route: the provider's API names no delivery",
};

export function renderWebhookTest(result: WebhookTestResult): string {
  const name = FORGE_NAMES[result.provider];
  const { listener } = result;
  const rows: string[][] = [
    ['  delivery', `${result.delivery.id ?? '(no ID)'} (${FOUND_BY[result.delivery.foundBy]})`],
    ['  gateway', gatewayLine(result.gateway)],
  ];
  if (listener) {
    const check = listener.trigger
      ? `: trigger ${listener.trigger}'s ${listener.interceptor} interceptor`
      : ', whose triggers check no provider';
    const from =
      listener.eventIdFrom === 'answer'
        ? `the listener's answer, as ${name} kept it`
        : 'the first object the listener created after the request';
    rows.push(
      ['  listener', `eventlistener ${listener.namespace}/${listener.name}${check}`],
      ['  event', `${listener.eventId ?? '?'} (from ${from})`],
      ...listener.created.map((object, index) => [index === 0 ? '  created' : '', createdText(object)]),
    );
  }
  rows.push(['  token', result.token]);
  return [
    `${name} delivered a test push to ${result.url} → ${result.backend ?? '-'} (webhook ${result.hook} of ${result.repository})`,
    formatTable(rows),
  ].join('\n');
}
