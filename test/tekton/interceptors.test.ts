/**
 * What Tekton's core interceptors will make of a delivery, predicted from triggers recorded from the
 * real Triggers v0.35.0 controller: the secret each reads, the event types each accepts, and the
 * certain refusals (another provider, an event type, no signature, another secret, a ref stored
 * without the kind the admission webhook would have set).
 */
import { describe, expect, it } from 'vitest';
import {
  type DeliveryFacts,
  eventFor,
  interceptorCheck,
  predictTrigger,
  providerCheckOf,
} from '../../src/tekton/interceptors.ts';
import type { EventListenerObject, TriggerObject } from '../../src/tekton/objects.ts';
import { type ListenerTrigger, listenerTriggers } from '../../src/tekton/triggers.ts';
import { recordedObject } from '../support/tekton-fixtures.ts';

const inlineTrigger = (fixture: 'github-listener' | 'gitlab-listener'): ListenerTrigger => {
  const listener = recordedObject<EventListenerObject>(fixture, 'EventListener');
  const [trigger] = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() }).triggers;
  if (!trigger) throw new Error(`no trigger in ${fixture}`);
  return trigger;
};

const selectedTriggers = () =>
  listenerTriggers(recordedObject<EventListenerObject>('selected-triggers', 'EventListener'), {
    refs: new Map([['by-ref', recordedObject<TriggerObject>('selected-triggers', 'Trigger', 'by-ref')]]),
    selected: [recordedObject<TriggerObject>('selected-triggers', 'Trigger', 'web-push')],
    groups: new Map([
      ['github-group', [recordedObject<TriggerObject>('selected-triggers', 'Trigger', 'grouped')]],
    ]),
  }).triggers;

const signedPush: DeliveryFacts = {
  provider: 'github',
  eventHeader: 'push',
  signed: true,
  secretState: () => 'same',
};

describe('the provider check of a trigger', () => {
  it("reads the interceptor's secretRef in the trigger's namespace and its eventTypes", () => {
    expect(providerCheckOf(inlineTrigger('github-listener'), 'github')).toEqual({
      type: 'provider',
      kindOmitted: false,
      provider: 'github',
      label: 'verify-github',
      secret: { namespace: 'fx-ci', name: 'github-webhook', key: 'secretToken' },
      eventTypes: ['push', 'pull_request'],
    });
    expect(providerCheckOf(inlineTrigger('gitlab-listener'), 'gitlab')).toMatchObject({
      secret: { namespace: 'fx-gitlab', name: 'gitlab-webhook', key: 'secretToken' },
      eventTypes: ['Push Hook'],
    });
    expect(providerCheckOf(inlineTrigger('github-listener'), 'gitlab')).toBeUndefined();
  });

  it('takes a ref without kind as the ClusterInterceptor the admission webhook defaults it to, and says it was stored so', () => {
    const byRef = selectedTriggers().find((trigger) => trigger.name === 'by-ref');
    expect(providerCheckOf(byRef as ListenerTrigger, 'github')).toMatchObject({
      kindOmitted: true,
      secret: { namespace: 'fx-selected', name: 'github-webhook', key: 'secretToken' },
    });
  });

  it('is no provider check for a NamespacedInterceptor of the same name or a webhook interceptor', () => {
    expect(interceptorCheck({ ref: { name: 'github', kind: 'NamespacedInterceptor' } }, 'ci')).toMatchObject({
      type: 'other',
      label: 'github',
    });
    expect(interceptorCheck({ webhook: { url: 'http://x' } }, 'ci')).toMatchObject({
      type: 'other',
      label: 'webhook',
    });
  });
});

describe('eventFor', () => {
  it("sends the provider's push when the trigger accepts it, else the first sample event it accepts", () => {
    expect(eventFor('github', ['push', 'pull_request'], undefined)).toBe('push');
    expect(eventFor('github', ['pull_request'], undefined)).toBe('pull_request');
    expect(eventFor('gitlab', ['Merge Request Hook'], undefined)).toBe('merge_request');
    expect(eventFor('gitlab', ['Push Hook'], undefined)).toBe('push');
    expect(eventFor('github', undefined, undefined)).toBe('push');
    expect(eventFor('github', ['workflow_run'], undefined)).toBeUndefined();
    expect(eventFor('github', ['push'], 'issue_comment')).toBe('issue_comment');
  });
});

describe('predictTrigger', () => {
  const github = inlineTrigger('github-listener');

  it('passes a push signed with the Secret the interceptor reads', () => {
    expect(predictTrigger(github, signedPush)).toEqual({ passes: 'yes' });
  });

  it('refuses an event type the trigger does not accept, before looking at the signature', () => {
    expect(
      predictTrigger(github, { ...signedPush, eventHeader: 'issue_comment', signed: false }),
    ).toMatchObject({
      passes: 'no',
      refusal: { reason: 'event', event: 'issue_comment' },
    });
  });

  it('tells a secret that differs from the Secret apart from a Secret that is not there, and from no signature', () => {
    expect(predictTrigger(github, { ...signedPush, secretState: () => 'different' })).toMatchObject({
      passes: 'no',
      refusal: { reason: 'secret', state: 'different', check: { secret: { name: 'github-webhook' } } },
    });
    expect(predictTrigger(github, { ...signedPush, secretState: () => 'missing' })).toMatchObject({
      refusal: { reason: 'secret', state: 'missing' },
    });
    expect(predictTrigger(github, { ...signedPush, signed: false })).toMatchObject({
      refusal: { reason: 'unsigned' },
    });
    // A Secret test may not read: the interceptor's verdict cannot be told in advance.
    expect(predictTrigger(github, { ...signedPush, secretState: () => 'unknown' })).toEqual({
      passes: 'yes',
    });
  });

  it('refuses a delivery of another provider: the interceptor finds none of its headers', () => {
    expect(
      predictTrigger(inlineTrigger('gitlab-listener'), {
        ...signedPush,
        provider: 'github',
        eventHeader: 'push',
      }),
    ).toMatchObject({ passes: 'no', refusal: { reason: 'other-provider', check: { provider: 'gitlab' } } });
  });

  it('on the recorded listener with a trigger group: the group check passes, the ref stored without kind cannot run, CEL may refuse', () => {
    const verdicts = Object.fromEntries(
      selectedTriggers().map((trigger) => [trigger.name, predictTrigger(trigger, signedPush)]),
    );
    expect(verdicts.grouped).toEqual({ passes: 'yes' });
    expect(verdicts['by-ref']).toMatchObject({
      passes: 'no',
      refusal: { reason: 'no-kind', check: { label: 'github' } },
    });
    expect(verdicts['web-push']).toMatchObject({ passes: 'no', refusal: { reason: 'other-provider' } });
    const withKind = selectedTriggers().find((trigger) => trigger.name === 'by-ref') as ListenerTrigger;
    for (const { interceptor } of withKind.interceptors)
      interceptor.ref = { ...interceptor.ref, kind: 'ClusterInterceptor' };
    expect(predictTrigger(withKind, signedPush)).toEqual({
      passes: 'maybe',
      others: [{ type: 'other', kindOmitted: false, label: 'cel', filter: "body.ref == 'refs/heads/main'" }],
    });
  });
});
