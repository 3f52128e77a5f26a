/**
 * Which triggers an EventListener runs, found as its sink finds them, on objects recorded from the
 * real Triggers v0.35.0 controller: a listener with a triggerRef, a labelSelector over two
 * namespaces and a trigger group; and the listeners and Services the controller made.
 */
import { describe, expect, it } from 'vitest';
import { createdKinds, eventIdSelector } from '../../src/tekton/created.ts';
import {
  type EventListenerObject,
  listenerOfService,
  listenerReadiness,
  type TriggerObject,
  type TriggerTemplateObject,
} from '../../src/tekton/objects.ts';
import { listenerTriggers, selectorText, triggerQueries, triggerRefs } from '../../src/tekton/triggers.ts';
import { recordedObject } from '../support/tekton-fixtures.ts';

const selected = () => recordedObject<EventListenerObject>('selected-triggers', 'EventListener');
const triggerNamed = (name: string) => recordedObject<TriggerObject>('selected-triggers', 'Trigger', name);

describe('the listener behind a Service', () => {
  it("is the one whose status names the Service the controller created (el-NAME), in the Service's namespace", () => {
    const listeners = ['github-listener', 'gitlab-listener', 'selected-triggers'].map((fixture) =>
      recordedObject<EventListenerObject>(fixture as 'github-listener', 'EventListener'),
    );
    const service = recordedObject('github-listener', 'Service');
    expect(listenerOfService(listeners, service.metadata.name)?.metadata.name).toBe('github-listener');
    expect(listenerOfService(listeners, 'el-selected')?.metadata.name).toBe('selected');
    expect(listenerOfService(listeners, 'httpecho')).toBeUndefined();
  });

  it('reads Ready, and for a listener whose pods cannot be created, why', () => {
    expect(listenerReadiness(recordedObject('github-listener', 'EventListener'))).toEqual({
      ready: true,
      status: 'True',
      reason: undefined,
      message: 'EventListener is ready',
    });
    const broken = listenerReadiness(recordedObject('not-ready-listener', 'EventListener'));
    expect(broken).toMatchObject({ ready: false, status: 'False' });
    expect(broken.message).toContain('Deployment does not have minimum availability');
    expect(broken.message).toContain('serviceaccount "no-such-account" not found');
  });

  it('has no Ready condition before the controller reconciled it: Unknown', () => {
    const fresh = selected();
    delete fresh.status;
    expect(listenerReadiness(fresh)).toMatchObject({ ready: false, status: 'Unknown', message: undefined });
  });
});

describe('triggerQueries', () => {
  it("lists Triggers in each namespace of namespaceSelector with its labelSelector, and each group's", () => {
    expect(triggerQueries(selected())).toEqual({
      listener: [
        { namespace: 'fx-selected', labelSelector: 'team=web' },
        { namespace: 'fx-selected-other', labelSelector: 'team=web' },
      ],
      groups: [
        { group: 'github-group', queries: [{ namespace: 'fx-selected', labelSelector: 'group=github' }] },
      ],
    });
    expect(triggerRefs(selected())).toEqual(['by-ref']);
  });

  it('lists every namespace for matchNames ["*"], the own namespace for a labelSelector alone, nothing without either', () => {
    const listener = selected();
    listener.spec = { namespaceSelector: { matchNames: ['*'] } };
    expect(triggerQueries(listener).listener).toEqual([{ namespace: undefined, labelSelector: undefined }]);
    listener.spec = { labelSelector: { matchLabels: { team: 'web' } } };
    expect(triggerQueries(listener).listener).toEqual([
      { namespace: 'fx-selected', labelSelector: 'team=web' },
    ]);
    const inline = recordedObject<EventListenerObject>('github-listener', 'EventListener');
    expect(triggerQueries(inline)).toEqual({ listener: [], groups: [] });
  });

  it('writes matchExpressions as the API reads them', () => {
    expect(
      selectorText({
        matchLabels: { team: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'ci', operator: 'Exists' },
          { key: 'skip', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('team=web,tier in (a,b),env notin (dev),ci,!skip');
  });
});

describe('listenerTriggers', () => {
  it("runs the selected Triggers, the triggerRef's and the group's, each group trigger after the group's interceptors", () => {
    const { triggers, missingRefs } = listenerTriggers(selected(), {
      refs: new Map([['by-ref', triggerNamed('by-ref')]]),
      selected: [triggerNamed('web-push')],
      groups: new Map([['github-group', [triggerNamed('grouped')]]]),
    });
    expect(missingRefs).toEqual([]);
    expect(triggers.map(({ name, namespace, origin }) => ({ name, namespace, origin }))).toEqual([
      { name: 'web-push', namespace: 'fx-selected-other', origin: 'selector' },
      { name: 'by-ref', namespace: 'fx-selected', origin: 'triggerRef' },
      { name: 'grouped', namespace: 'fx-selected', origin: 'group github-group' },
    ]);
    const grouped = triggers[2];
    expect(
      grouped?.interceptors.map(({ interceptor, namespace }) => [interceptor.ref?.name, namespace]),
    ).toEqual([['github', 'fx-selected']]);
  });

  it('names the triggerRefs that name no Trigger (the sink skips them)', () => {
    const broken = recordedObject<EventListenerObject>('not-ready-listener', 'EventListener');
    expect(listenerTriggers(broken, { refs: new Map(), selected: [], groups: new Map() })).toEqual({
      triggers: [],
      missingRefs: ['missing'],
    });
  });

  it('takes the inline trigger as written, in the listener namespace', () => {
    const listener = recordedObject<EventListenerObject>('github-listener', 'EventListener');
    const { triggers } = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() });
    expect(triggers).toHaveLength(1);
    expect(triggers[0]).toMatchObject({ name: 'github-push', namespace: 'fx-ci', origin: 'inline' });
  });
});

describe('createdKinds', () => {
  it("finds what the template creates, in the trigger's namespace or its own, and the recorded object carries the event's label", () => {
    const listener = recordedObject<EventListenerObject>('github-listener', 'EventListener');
    const template = recordedObject<TriggerTemplateObject>('github-listener', 'TriggerTemplate');
    const { triggers } = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() });
    const templates = new Map([[`fx-ci/${template.metadata.name}`, template]]);
    expect(createdKinds(triggers, templates)).toEqual([
      { apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', namespace: 'fx-ci' },
    ]);
    const run = recordedObject('github-listener', 'PipelineRun');
    const [label, value] = eventIdSelector(
      run.metadata.labels?.['triggers.tekton.dev/triggers-eventid'] ?? '',
    ).split('=');
    expect(run.metadata.labels?.[label ?? '']).toBe(value);

    const web = listenerTriggers(selected(), {
      refs: new Map(),
      selected: [triggerNamed('web-push')],
      groups: new Map(),
    }).triggers;
    expect(createdKinds(web, new Map())).toEqual([
      { apiVersion: 'tekton.dev/v1', kind: 'TaskRun', namespace: 'fx-selected-other' },
    ]);
  });

  it('looks in every namespace when the template computes the namespace from the event', () => {
    const template = recordedObject<TriggerTemplateObject>('github-listener', 'TriggerTemplate');
    const resource = template.spec?.resourcetemplates?.[0];
    if (resource) resource.metadata = { ...resource.metadata, namespace: '$(tt.params.namespace)' };
    const listener = recordedObject<EventListenerObject>('github-listener', 'EventListener');
    const { triggers } = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() });
    expect(createdKinds(triggers, new Map([[`fx-ci/${template.metadata.name}`, template]]))).toEqual([
      { apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', namespace: undefined },
    ]);
  });
});
