/**
 * What `test` says when an EventListener answered 202 and created nothing: on listeners recorded from
 * the real Triggers v0.35.0 controller, a wrong --secret told apart from a listener with no trigger
 * for the provider, an event type the trigger refuses, and the listener's own reason once it logs at
 * debug level (a line as the real sink wrote it).
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  debugLoggingSteps,
  listenerReasons,
  nothingCreated,
  refusedByAll,
} from '../../src/services/listener-diagnosis.ts';
import type { ListenerPlan, SecretChoice } from '../../src/services/listener-plan.ts';
import { predictTrigger, providerCheckOf, type SecretState } from '../../src/tekton/interceptors.ts';
import type { EventListenerObject } from '../../src/tekton/objects.ts';
import { listenerTriggers } from '../../src/tekton/triggers.ts';
import { eventHeaderValue, type Provider } from '../../src/webhook/index.ts';
import { recordedObject } from '../support/tekton-fixtures.ts';

/** The plan test makes for a recorded listener, for a delivery of `provider`/`event` signed as `secret` says. */
function planFor(
  fixture: 'github-listener' | 'gitlab-listener',
  provider: Provider,
  event: string,
  secret: SecretChoice,
  secretState: SecretState,
): ListenerPlan {
  const listener = recordedObject<EventListenerObject>(fixture, 'EventListener');
  const { triggers } = listenerTriggers(listener, { refs: new Map(), selected: [], groups: new Map() });
  const facts = {
    provider,
    eventHeader: eventHeaderValue(provider, event),
    signed: secret.value !== undefined,
    secretState: () => secretState,
  };
  const chosen = triggers.flatMap((trigger) => {
    const check = providerCheckOf(trigger, provider);
    return check ? [{ trigger, check }] : [];
  })[0];
  return {
    listener,
    readiness: { ready: true, status: 'True', reason: undefined, message: 'EventListener is ready' },
    triggers,
    missing: [],
    provider,
    event,
    chosen,
    secret,
    verdicts: triggers.map((trigger) => ({ trigger, verdict: predictTrigger(trigger, facts) })),
    created: [],
    triggersNamespace: 'tekton-pipelines',
  };
}

const fromFlag: SecretChoice = { value: 'not-the-one', source: 'secret', from: undefined };
const fromInterceptor: SecretChoice = {
  value: 'recorded-webhook-secret',
  source: 'interceptor',
  from: { namespace: 'fx-ci', name: 'github-webhook', key: 'secretToken' },
};
const unseen = (plan: ListenerPlan, lines: string[] = []) =>
  nothingCreated({ plan, status: 202, eventId: 'e1', timeoutMs: 5000, lines, problems: [] });

// As the real sink logged it at debug level (the fields after /trigger are cut).
const STOPPED_LINE =
  '{"severity":"debug","timestamp":"2026-12-07T02:44:01.940Z","logger":"eventlistener","caller":"sink/sink.go:419","message":"interceptor stopped trigger processing: rpc error: code = FailedPrecondition desc = payload signature check failed","eventlistener":"github-listener","namespace":"ci","/triggers-eventid":"31228ba1-901f-4406-9b77-f7efde0facc4","/trigger":"github-push"}';

describe('nothingCreated', () => {
  it('blames a --secret that differs from the Secret the interceptor reads, by name only, and says how to sign right', () => {
    const error = unseen(planFor('github-listener', 'github', 'push', fromFlag, 'different'));
    expect(error.exitCode).toBe(ExitCode.timeout);
    expect(error.message).toBe('eventlistener fx-ci/github-listener created nothing for event e1 within 5s');
    expect(error.why).toContain(
      "the listener accepted the event (HTTP 202) and its interceptors dropped it: the secret the delivery was signed with (--secret) differs from the one in secret fx-ci/github-webhook (key secretToken), which trigger github-push's verify-github interceptor reads",
    );
    expect(error.next[0]).toBe(
      "sign with the interceptor's own secret: leave out --secret (test reads secret fx-ci/github-webhook itself)",
    );
    expect(`${error.message}${error.why}${error.next.join('')}`).not.toContain('not-the-one');
  });

  it('tells a listener with no trigger for the provider apart from a wrong secret', () => {
    const plan = planFor('gitlab-listener', 'github', 'push', fromFlag, 'unknown');
    const error = unseen(plan);
    expect(error.why).toContain(
      "no GitHub delivery passes trigger gitlab-push's verify-gitlab interceptor: it checks GitLab deliveries",
    );
    expect(error.why).not.toContain('differs');
    expect(error.next).toContain('send what it checks: --provider gitlab');
    expect(refusedByAll(plan)).toContain('it checks GitLab deliveries');
  });

  it('names the event types the trigger accepts and an event to send instead', () => {
    const error = unseen(planFor('github-listener', 'github', 'issue_comment', fromInterceptor, 'same'));
    expect(error.why).toContain(
      `trigger github-push's verify-github interceptor accepts the event types push, pull_request, not "issue_comment"`,
    );
    expect(error.next).toContain('send an event it accepts: --event push');
  });

  it("shows the listener's own reason when it logged one, and then no longer explains how to turn debug on", () => {
    const plan = planFor('github-listener', 'github', 'push', fromFlag, 'different');
    const error = unseen(plan, [STOPPED_LINE]);
    expect(error.why).toContain(
      'the listener logged: trigger github-push: interceptor stopped trigger processing: rpc error: code = FailedPrecondition desc = payload signature check failed',
    );
    expect(error.next.join('\n')).not.toContain('zap-logger-config');
    expect(unseen(plan).next.join('\n')).toContain('zap-logger-config');
  });

  it('says a passing trigger may have failed to create its resources rather than blaming the interceptor', () => {
    const plan = planFor('github-listener', 'github', 'push', fromInterceptor, 'same');
    expect(refusedByAll(plan)).toBeUndefined();
    const error = unseen(plan);
    expect(error.why).not.toContain('dropped it');
    expect(error.why).toContain('the listener may have failed to create its resources');
  });
});

describe('listenerReasons', () => {
  it('keeps error lines and the interceptor verdict, not the debug line that prints the whole event', () => {
    expect(
      listenerReasons([
        '{"severity":"debug","message":"handling event with path /github, payload: {} and header: map[]","/triggers-eventid":"e1"}',
        '{"severity":"info","message":"ResolvedParams : []","/trigger":"t"}',
        '{"severity":"error","message":"Post \\"\\": unsupported protocol scheme \\"\\"","/trigger":"by-ref"}',
        STOPPED_LINE,
        'not json',
      ]),
    ).toEqual([
      'trigger by-ref: Post "": unsupported protocol scheme ""',
      'trigger github-push: interceptor stopped trigger processing: rpc error: code = FailedPrecondition desc = payload signature check failed',
    ]);
  });
});

describe('debugLoggingSteps', () => {
  it("names the zap-logger-config level in Triggers' namespace and the listener to re-render, and warns about the headers", () => {
    const steps = debugLoggingSteps(planFor('github-listener', 'github', 'push', fromInterceptor, 'same'));
    expect(steps[0]).toContain('"level": "debug" in zap-logger-config');
    expect(steps[0]).toContain('kubectl -n tekton-pipelines edit configmap config-logging-triggers');
    expect(steps[1]).toBe(
      'have the controller roll el-github-listener with it: kubectl -n fx-ci annotate eventlistener github-listener trigger-gateway.dev/logging=debug --overwrite',
    );
    expect(steps[2]).toContain('a GitLab token included');
  });
});
