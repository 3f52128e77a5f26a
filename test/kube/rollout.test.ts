import { describe, expect, it } from 'vitest';
import { crashedContainer, podProblems, rolloutState } from '../../src/kube/rollout.ts';

function deployment(status: Record<string, unknown>, generation = 2, replicas = 2) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'trigger-gateway', generation },
    spec: { replicas },
    status,
  };
}

describe('rolloutState follows kubectl rollout status', () => {
  it('waits until the controller has seen the new spec', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
    );
    expect(state.done).toBe(false);
    expect(state.message).toBe('Waiting for deployment/trigger-gateway spec update to be observed');
  });

  it('counts updated, old and available replicas in that order', () => {
    expect(rolloutState(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 1 })).message).toBe(
      'Waiting for deployment/trigger-gateway: 1 of 2 new replicas have been updated',
    );
    expect(rolloutState(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2 })).message).toBe(
      'Waiting for deployment/trigger-gateway: 1 old replicas are pending termination',
    );
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
      ).message,
    ).toBe('Waiting for deployment/trigger-gateway: 1 of 2 updated replicas are available');
  });

  it("stops waiting when the ReplicaSet controller cannot create the pods, with the server's reason", () => {
    const state = rolloutState(
      deployment({
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 0,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'pods "trigger-gateway-x" is forbidden: violates PodSecurity "restricted:latest"',
          },
        ],
      }),
    );
    expect(state).toMatchObject({ done: false, stuck: true });
    expect(state.refused).toBe(
      'pods "trigger-gateway-x" is forbidden: violates PodSecurity "restricted:latest"',
    );
    expect(state.message).toBe(
      'deployment/trigger-gateway cannot create its pods: pods "trigger-gateway-x" is forbidden: violates PodSecurity "restricted:latest"',
    );
  });

  it('is done when every replica is updated and available', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
    );
    expect(state).toMatchObject({ done: true, ready: 2, desired: 2 });
  });

  it('stops waiting once the progress deadline is exceeded', () => {
    const state = rolloutState(
      deployment({
        observedGeneration: 2,
        updatedReplicas: 0,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      }),
    );
    expect(state).toMatchObject({ done: false, stuck: true });
  });
});

describe('podProblems', () => {
  it('names each pod with its waiting reason and message', () => {
    const problems = podProblems([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'trigger-gateway-abc-1' },
        status: {
          containerStatuses: [
            {
              name: 'haproxy',
              ready: false,
              state: { waiting: { reason: 'ImagePullBackOff', message: 'pull access denied' } },
            },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'trigger-gateway-abc-2' },
        status: {
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available',
            },
          ],
        },
      },
    ]);
    expect(problems).toEqual([
      'pod trigger-gateway-abc-1: ImagePullBackOff: pull access denied',
      'pod trigger-gateway-abc-2: Unschedulable: 0/3 nodes are available',
    ]);
  });
});

describe('crashedContainer: a new pod that will never get ready, as the kubelet reports it', () => {
  const pod = (name: string, status: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    status: { containerStatuses: [{ name: 'haproxy', ...status }] },
  });

  it('is none while containers start or run', () => {
    expect(
      crashedContainer([
        pod('starting', { state: { waiting: { reason: 'ContainerCreating' } }, restartCount: 0 }),
        pod('running', { state: { running: { startedAt: 'now' } }, restartCount: 0 }),
      ]),
    ).toBeUndefined();
  });

  it('finds a container that exited, crash-loops, exited before, or was restarted', () => {
    expect(crashedContainer([pod('a', { state: { terminated: { exitCode: 1, reason: 'Error' } } })])).toEqual(
      {
        pod: 'a',
        container: 'haproxy',
        reason: 'exited with code 1 (Error)',
        previous: false,
      },
    );
    expect(
      crashedContainer([
        pod('b', {
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
          restartCount: 3,
        }),
      ])?.reason,
    ).toBe('CrashLoopBackOff, exited with code 1 (Error)');
    // Restarted and running again: its alerts are in the previous container's log.
    expect(
      crashedContainer([
        pod('c', {
          state: { running: { startedAt: 'now' } },
          lastState: { terminated: { exitCode: 1 } },
          restartCount: 1,
        }),
      ]),
    ).toMatchObject({ pod: 'c', reason: 'exited with code 1', previous: true });
    expect(
      crashedContainer([pod('d', { state: { running: { startedAt: 'now' } }, restartCount: 2 })]),
    ).toMatchObject({ reason: 'restarted 2 times', previous: true });
  });
});
