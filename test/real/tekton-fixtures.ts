/**
 * Records the Tekton Triggers objects the unit tests read (test/support/fixtures/tekton/), as the real
 * controller of test/real/tekton/go.mod wrote them on the real control plane: EventListeners with
 * their status, their Services, Triggers, templates, a ClusterInterceptor, and a PipelineRun created
 * for a signed delivery. Only metadata.managedFields is left out.
 *
 *   npx tsx test/real/tekton-fixtures.ts [--kubeconfig FILE]
 *
 * Without --kubeconfig it builds and starts a real control plane of its own, installs Tekton and
 * stops everything afterwards; with it, it uses that cluster (Tekton installed) and leaves it up.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { sendOnce } from '../../src/kube/transport.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { buildDelivery, headersToSend } from '../../src/webhook/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { buildTektonBinaries, TEKTON_TRIGGERS_VERSION } from './binaries.ts';
import { forwardToListener, pipelineRunsOf } from './listener-traffic.ts';
import { applyObjects, listenerObjects, waitForListener, webhookSecret } from './listeners.ts';
import { startRealSandbox } from './start.ts';
import { installTekton } from './tekton.ts';

const OUT = join(REPO_ROOT, 'test/support/fixtures/tekton');
const SECRET = 'recorded-webhook-secret';
const TRIGGERS = 'triggers.tekton.dev/v1beta1';

const trigger = (namespace: string, name: string, labels: Record<string, string>, spec: object): KubeObject =>
  ({ apiVersion: TRIGGERS, kind: 'Trigger', metadata: { name, namespace, labels }, spec }) as KubeObject;

const githubCheck = (secretName: string, kind?: string) => ({
  ref: { name: 'github', ...(kind ? { kind } : {}) },
  params: [
    { name: 'secretRef', value: { secretName, secretKey: 'secretToken' } },
    { name: 'eventTypes', value: ['push'] },
  ],
});

/**
 * A listener that finds its triggers every other way the sink knows: a triggerRef, a labelSelector
 * over two namespaces, and a trigger group with its own interceptor. Its Trigger objects are written
 * as kubectl stores them without Triggers' admission webhook (a ref without kind, as users write it).
 */
function selectedListener(namespace: string, other: string): KubeObject[] {
  const base = listenerObjects({
    namespace,
    name: 'selected',
    provider: 'github',
    secretName: 'github-webhook',
    eventTypes: ['push'],
  });
  const template = { ref: 'selected-pipeline' };
  const bindings = [{ ref: 'selected-push', kind: 'TriggerBinding' }];
  const listener = base.find((object) => object.kind === 'EventListener') as KubeObject;
  listener.spec = {
    serviceAccountName: 'selected',
    triggers: [{ triggerRef: 'by-ref' }],
    namespaceSelector: { matchNames: [namespace, other] },
    labelSelector: { matchLabels: { team: 'web' } },
    triggerGroups: [
      {
        name: 'github-group',
        interceptors: [githubCheck('group-webhook', 'ClusterInterceptor')],
        triggerSelector: {
          namespaceSelector: { matchNames: [namespace] },
          labelSelector: { matchLabels: { group: 'github' } },
        },
      },
    ],
  };
  // Triggers in other namespaces: the sink lists them cluster-wide, with the release's role for it.
  const everywhere = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${namespace}-selected-everywhere` },
    subjects: [{ kind: 'ServiceAccount', name: 'selected', namespace }],
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'tekton-triggers-eventlistener-roles',
    },
  } as KubeObject;
  return [
    ...base,
    everywhere,
    trigger(
      namespace,
      'by-ref',
      {},
      {
        interceptors: [
          githubCheck('github-webhook'),
          { ref: { name: 'cel' }, params: [{ name: 'filter', value: "body.ref == 'refs/heads/main'" }] },
        ],
        bindings,
        template,
      },
    ),
    trigger(
      other,
      'web-push',
      { team: 'web' },
      {
        interceptors: [
          {
            ref: { name: 'gitlab', kind: 'ClusterInterceptor' },
            params: [
              { name: 'secretRef', value: { secretName: 'gitlab-webhook', secretKey: 'secretToken' } },
              { name: 'eventTypes', value: ['Push Hook', 'Merge Request Hook'] },
            ],
          },
        ],
        bindings,
        template: {
          spec: {
            resourcetemplates: [
              {
                apiVersion: 'tekton.dev/v1',
                kind: 'TaskRun',
                metadata: { generateName: 'lint-', namespace: other },
                spec: { taskRef: { name: 'lint' } },
              },
            ],
          },
        },
      },
    ),
    trigger(namespace, 'grouped', { group: 'github' }, { bindings, template }),
  ];
}

/** What the unit tests get: the object as read, without the server's field bookkeeping. */
function recorded(object: KubeObject | undefined): KubeObject {
  if (!object) throw new Error('an object to record is missing');
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}

async function read(
  kube: KubeClient,
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
  name: string,
) {
  return recorded(await kube.read({ apiVersion, kind, namespace, name }));
}

function write(file: string, what: string, objects: KubeObject[]): void {
  const recordedFrom = `Tekton Triggers ${TEKTON_TRIGGERS_VERSION} on the real control plane (npx tsx test/real/tekton-fixtures.ts)`;
  writeFileSync(join(OUT, file), `${JSON.stringify({ recordedFrom, what, objects }, null, 2)}\n`);
}

/** Sends a signed GitHub push straight to the listener and returns the PipelineRun it created. */
async function deliverTo(kube: KubeClient, namespace: string, name: string): Promise<KubeObject> {
  const forwarded = await forwardToListener(kube, namespace, name);
  try {
    const delivery = buildDelivery({ provider: 'github', secret: SECRET });
    const answer = await sendOnce(`http://127.0.0.1:${forwarded.localPort}/`, {
      method: 'POST',
      headers: headersToSend(delivery),
      body: delivery.body,
      timeoutMs: 10_000,
    });
    const { eventID } = JSON.parse(answer.body) as { eventID: string };
    return eventually(async () => {
      const [run] = await pipelineRunsOf(kube, namespace, eventID);
      if (!run) throw new Error(`no PipelineRun for event ${eventID} yet`);
      return recorded(run);
    });
  } finally {
    await forwarded.close();
  }
}

async function record(kubeconfig: string): Promise<void> {
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
  const dir = mkdtempSync(join(tmpdir(), 'tekton-fixtures-'));
  const [ci, gitlab, selected, other, broken] = [
    'fx-ci',
    'fx-gitlab',
    'fx-selected',
    'fx-selected-other',
    'fx-broken',
  ];
  try {
    await applyObjects(kubeconfig, dir, [
      webhookSecret(ci, 'github-webhook', SECRET),
      ...listenerObjects({
        namespace: ci,
        name: 'github-listener',
        provider: 'github',
        secretName: 'github-webhook',
        eventTypes: ['push', 'pull_request'],
      }),
      ...listenerObjects({
        namespace: gitlab,
        name: 'gitlab-listener',
        provider: 'gitlab',
        secretName: 'gitlab-webhook',
        eventTypes: ['Push Hook'],
      }),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } } as KubeObject,
      ...selectedListener(selected, other),
      {
        apiVersion: TRIGGERS,
        kind: 'EventListener',
        metadata: { name: 'broken-listener', namespace: broken },
        spec: { serviceAccountName: 'no-such-account', triggers: [{ triggerRef: 'missing' }] },
      } as KubeObject,
    ]);
    for (const [namespace, name] of [
      [ci, 'github-listener'],
      [gitlab, 'gitlab-listener'],
      [selected, 'selected'],
    ] as const)
      await waitForListener(kube, namespace, name);
    const notReady = await eventually(async () => {
      const listener = await read(kube, TRIGGERS, 'EventListener', broken, 'broken-listener');
      const conditions =
        (listener.status as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? [];
      if (!conditions.some((condition) => condition.type === 'ReplicaFailure'))
        throw new Error('not failed yet');
      return listener;
    });
    const run = await deliverTo(kube, ci, 'github-listener');
    mkdirSync(OUT, { recursive: true });
    write(
      'github-listener.json',
      'a GitHub listener (inline trigger, secretRef, eventTypes), its Service, template, binding, and the PipelineRun created for a signed push',
      [
        await read(kube, TRIGGERS, 'EventListener', ci, 'github-listener'),
        await read(kube, 'v1', 'Service', ci, 'el-github-listener'),
        await read(kube, TRIGGERS, 'TriggerTemplate', ci, 'github-listener-pipeline'),
        await read(kube, TRIGGERS, 'TriggerBinding', ci, 'github-listener-push'),
        await read(kube, 'triggers.tekton.dev/v1alpha1', 'ClusterInterceptor', undefined, 'github'),
        run,
      ],
    );
    write(
      'gitlab-listener.json',
      'a GitLab listener (X-Gitlab-Token, eventTypes Push Hook) and its Service',
      [
        await read(kube, TRIGGERS, 'EventListener', gitlab, 'gitlab-listener'),
        await read(kube, 'v1', 'Service', gitlab, 'el-gitlab-listener'),
      ],
    );
    write(
      'selected-triggers.json',
      'a listener with a triggerRef, a labelSelector over two namespaces and a trigger group, and its Triggers',
      [
        await read(kube, TRIGGERS, 'EventListener', selected, 'selected'),
        await read(kube, TRIGGERS, 'Trigger', selected, 'by-ref'),
        await read(kube, TRIGGERS, 'Trigger', other, 'web-push'),
        await read(kube, TRIGGERS, 'Trigger', selected, 'grouped'),
        await read(kube, TRIGGERS, 'TriggerTemplate', selected, 'selected-pipeline'),
      ],
    );
    write(
      'not-ready-listener.json',
      'a listener whose ServiceAccount does not exist: Ready False, ReplicaFailure',
      [notReady],
    );
  } finally {
    await kube.close();
  }
}

async function main(): Promise<void> {
  const given = process.argv.indexOf('--kubeconfig');
  if (given >= 0) return record(process.argv[given + 1] ?? '');
  await buildTektonBinaries({ log: (line) => process.stderr.write(`${line}\n`) });
  const { plane, kubeconfig } = await startRealSandbox({
    node: true,
    kubeconfig: join(mkdtempSync(join(tmpdir(), 'tekton-fixtures-')), 'kubeconfig'),
  });
  try {
    const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
    await installTekton(kubeconfig, kube, plane.dir).finally(() => kube.close());
    await record(kubeconfig);
  } finally {
    await plane.stop();
  }
}

await main();
