/**
 * What a provider's webhook must carry for a listener's triggers, read from listeners recorded from
 * the real Triggers v0.35.0 controller: the event types and Secret of the interceptor that checks the
 * provider's deliveries (Gitea's by the GitHub interceptor), triggers that disagree on the Secret, and
 * a listener that checks another provider only.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { hookNeeds } from '../../src/tekton/hook-needs.ts';
import type { EventListenerObject, TriggerObject } from '../../src/tekton/objects.ts';
import { listenerTriggers } from '../../src/tekton/triggers.ts';
import { recordedObject } from '../support/tekton-fixtures.ts';

const inline = (fixture: 'github-listener' | 'gitlab-listener') => {
  const listener = recordedObject<EventListenerObject>(fixture, 'EventListener');
  const { triggers } = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() });
  return { listener, triggers };
};

const selected = () => {
  const listener = recordedObject<EventListenerObject>('selected-triggers', 'EventListener');
  const { triggers } = listenerTriggers(listener, {
    refs: new Map([['by-ref', recordedObject<TriggerObject>('selected-triggers', 'Trigger', 'by-ref')]]),
    selected: [recordedObject<TriggerObject>('selected-triggers', 'Trigger', 'web-push')],
    groups: new Map([
      ['github-group', [recordedObject<TriggerObject>('selected-triggers', 'Trigger', 'grouped')]],
    ]),
  });
  return { listener, triggers };
};

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('no error');
}

describe('hookNeeds', () => {
  it("takes the GitHub interceptor's event types and Secret, for GitHub and for Gitea", () => {
    const { listener, triggers } = inline('github-listener');
    for (const provider of ['github', 'gitea'] as const) {
      expect(hookNeeds(listener, triggers, provider)).toEqual({
        listener: { name: 'github-listener', namespace: 'fx-ci' },
        checks: [{ trigger: 'github-push', interceptor: 'verify-github' }],
        eventTypes: ['push', 'pull_request'],
        secrets: [{ namespace: 'fx-ci', name: 'github-webhook', key: 'secretToken' }],
      });
    }
  });

  it("takes the GitLab interceptor's, as X-Gitlab-Event names the events", () => {
    const { listener, triggers } = inline('gitlab-listener');
    expect(hookNeeds(listener, triggers, 'gitlab')).toMatchObject({
      eventTypes: ['Push Hook'],
      secrets: [{ name: 'gitlab-webhook', key: 'secretToken' }],
    });
  });

  it('refuses a GitHub hook for a listener that checks GitLab deliveries only, naming the provider it checks', () => {
    const { listener, triggers } = inline('gitlab-listener');
    const error = refusal(() => hookNeeds(listener, triggers, 'github'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(
      'checks gitlab deliveries only: it would drop every one of a GitHub webhook',
    );
    expect(error.next).toContain('register the provider it checks: --provider gitlab');
  });

  it('collects every trigger that checks the provider: the events of all, each Secret once, the group interceptor first', () => {
    const { listener, triggers } = selected();
    const github = hookNeeds(listener, triggers, 'github');
    expect(github.checks.map((check) => check.trigger)).toEqual(['by-ref', 'grouped']);
    expect(github.eventTypes).toEqual(['push']);
    expect(github.secrets.map((secret) => secret.name)).toEqual(['github-webhook', 'group-webhook']);
    expect(hookNeeds(listener, triggers, 'gitlab')).toMatchObject({
      checks: [{ trigger: 'web-push' }],
      eventTypes: ['Push Hook', 'Merge Request Hook'],
      secrets: [{ namespace: 'fx-selected-other', name: 'gitlab-webhook' }],
    });
  });

  it('a secretRef without a name refuses every delivery: exit 7', () => {
    const { listener } = inline('github-listener');
    const interceptor = listener.spec?.triggers?.[0]?.interceptors?.[0];
    const secretRef = interceptor?.params?.find((param) => param.name === 'secretRef');
    if (secretRef) secretRef.value = { secretKey: 'secretToken' };
    const { triggers } = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() });
    const error = refusal(() => hookNeeds(listener, triggers, 'gitea'));
    expect(error.exitCode).toBe(7);
    expect(error.message).toBe(
      "trigger github-push's verify-github interceptor has a secretRef without secretName or secretKey",
    );
  });
});
