/**
 * What the EventListener side of `test` needs from a delivery: the value of the provider's event
 * header that interceptors' eventTypes list, and a redactor that keeps the secret and the proof out of
 * log lines a listener wrote at debug level (it logs every header it receives).
 */
import { describe, expect, it } from 'vitest';
import {
  buildDelivery,
  eventHeaderValue,
  eventsOf,
  headersToSend,
  PROVIDERS,
  proofRedactor,
} from '../../src/webhook/index.ts';

describe('eventHeaderValue', () => {
  it('is what the event header carries, as interceptors compare it with eventTypes', () => {
    for (const provider of PROVIDERS) {
      for (const event of eventsOf(provider)) {
        const headers = headersToSend(buildDelivery({ provider, event }));
        const value = eventHeaderValue(provider, event);
        const named = Object.entries(headers).filter(([, header]) => header === value);
        if (provider === 'generic') expect(value).toBeUndefined();
        else
          expect(named.map(([name]) => name.toLowerCase())).toContainEqual(
            { github: 'x-github-event', gitlab: 'x-gitlab-event', bitbucket: 'x-event-key' }[provider],
          );
      }
    }
  });

  it("names GitLab's hooks as GitLab sends them, not by object kind", () => {
    expect(eventHeaderValue('gitlab', 'push')).toBe('Push Hook');
    expect(eventHeaderValue('gitlab', 'merge_request')).toBe('Merge Request Hook');
    expect(eventHeaderValue('github', 'pull_request')).toBe('pull_request');
    expect(eventHeaderValue('bitbucket', 'repo:push')).toBe('repo:push');
  });
});

describe('proofRedactor', () => {
  // As Tekton's sink logs a request at debug level: the headers as a Go map, inside a JSON string.
  const debugLine = (headers: Record<string, string>) =>
    JSON.stringify({
      severity: 'debug',
      message: `handling event with header: map[${Object.entries(headers)
        .map(([name, value]) => `${name}:[${value}]`)
        .join(' ')}]`,
    });

  it("hides GitLab's token, which is the secret itself, also where JSON escaped it", () => {
    const secret = 'zq"sec\\ret-with-quotes';
    const delivery = buildDelivery({ provider: 'gitlab', secret });
    const line = debugLine(headersToSend(delivery));
    expect(line).toContain(JSON.stringify(secret).slice(1, -1));
    const redacted = proofRedactor(delivery, secret)(line);
    expect(redacted).not.toContain('zq');
    expect(redacted).toContain('X-Gitlab-Token:[…(redacted)]');
    expect(redacted).toContain(`X-Gitlab-Event-UUID:[${delivery.id}]`);
  });

  it("hides GitHub's signatures and leaves the rest of the line as it was", () => {
    const delivery = buildDelivery({ provider: 'github', secret: 'a-webhook-secret' });
    const headers = headersToSend(delivery);
    const redacted = proofRedactor(delivery, 'a-webhook-secret')(debugLine(headers));
    expect(redacted).not.toContain(headers['X-Hub-Signature-256']?.slice(7));
    expect(redacted).not.toContain(headers['X-Hub-Signature']?.slice(5));
    expect(redacted).toContain('X-Hub-Signature-256:[…(redacted)]');
    expect(redacted).toContain(`X-GitHub-Delivery:[${delivery.id}]`);
  });

  it('changes nothing in an unsigned delivery', () => {
    const delivery = buildDelivery({ provider: 'github' });
    const line = debugLine(headersToSend(delivery));
    expect(proofRedactor(delivery, undefined)(line)).toBe(line);
  });
});
