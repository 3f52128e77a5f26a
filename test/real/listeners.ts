/**
 * EventListeners for the tests and the sandbox, as a platform team writes them: one trigger whose
 * provider interceptor (GitHub's or GitLab's ClusterInterceptor) checks the signature with a Secret
 * and accepts some event types, a TriggerBinding and a TriggerTemplate that creates a v1
 * PipelineRun, and the listener's ServiceAccount bound to the ClusterRoles Tekton ships for it.
 * Everything is written out in full (`kind: ClusterInterceptor` too): there is no Triggers admission
 * webhook to default it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dump } from 'js-yaml';
import type { KubeClient } from '../../src/kube/client.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runExecutable } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';

export type ListenerProvider = 'github' | 'gitlab';

export interface ListenerSpec {
  namespace: string;
  name: string;
  provider: ListenerProvider;
  /** The Secret the interceptor reads (key secretToken); the test or sandbox creates it. */
  secretName: string;
  eventTypes: string[];
  /** The Pipeline the PipelineRuns name (no Pipelines controller runs: they stay pending). */
  pipeline?: string;
  /** Pass the pushed commit (the payload's `after`) as the PipelineRun's param revision: pushes only. */
  revision?: boolean;
  /**
   * The requests a second the listener's API client may make (KUBE_API_QPS, burst twice that);
   * undefined: client-go's default, 5 (burst 10). The v0.35 sink makes two per PipelineRun.
   */
  apiQps?: number;
}

/** Where each provider's payload names the repository, for the binding. */
const REPOSITORY_FIELD: Record<ListenerProvider, string> = {
  github: '$(body.repository.full_name)',
  gitlab: '$(body.project.path_with_namespace)',
};
const EVENT_HEADER: Record<ListenerProvider, string> = {
  github: '$(header.X-GitHub-Event)',
  gitlab: '$(header.X-Gitlab-Event)',
};

/** The sink container's environment: knative's client configuration reads KUBE_API_QPS and KUBE_API_BURST. */
const apiClientLimits = (qps: number) => ({
  kubernetesResource: {
    spec: {
      template: {
        spec: {
          containers: [
            {
              env: [
                { name: 'KUBE_API_QPS', value: String(qps) },
                { name: 'KUBE_API_BURST', value: String(qps * 2) },
              ],
            },
          ],
        },
      },
    },
  },
});

const triggers = (version: string, kind: string, namespace: string, name: string, spec: object): KubeObject =>
  ({ apiVersion: `triggers.tekton.dev/${version}`, kind, metadata: { name, namespace }, spec }) as KubeObject;

/** The listener, its trigger's binding and template, and its ServiceAccount with its role bindings. */
export function listenerObjects(spec: ListenerSpec): KubeObject[] {
  const { namespace, name, provider } = spec;
  const pipeline = spec.pipeline ?? 'build';
  const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', role: string): KubeObject =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata:
        kind === 'RoleBinding'
          ? { name: `${name}-triggers`, namespace }
          : { name: `${namespace}-${name}-triggers` },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    }) as KubeObject;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    binding('RoleBinding', 'tekton-triggers-eventlistener-roles'),
    binding('ClusterRoleBinding', 'tekton-triggers-eventlistener-clusterroles'),
    triggers('v1beta1', 'TriggerBinding', namespace, `${name}-push`, {
      params: [
        { name: 'repository', value: REPOSITORY_FIELD[provider] },
        { name: 'event', value: EVENT_HEADER[provider] },
        ...(spec.revision ? [{ name: 'revision', value: '$(body.after)' }] : []),
      ],
    }),
    triggers('v1beta1', 'TriggerTemplate', namespace, `${name}-pipeline`, {
      params: [{ name: 'repository' }, { name: 'event' }, ...(spec.revision ? [{ name: 'revision' }] : [])],
      resourcetemplates: [
        {
          apiVersion: 'tekton.dev/v1',
          kind: 'PipelineRun',
          metadata: { generateName: `${pipeline}-` },
          spec: {
            pipelineRef: { name: pipeline },
            params: [
              { name: 'repository', value: '$(tt.params.repository)' },
              { name: 'event', value: '$(tt.params.event)' },
              ...(spec.revision ? [{ name: 'revision', value: '$(tt.params.revision)' }] : []),
            ],
          },
        },
      ],
    }),
    triggers('v1beta1', 'EventListener', namespace, name, {
      serviceAccountName: name,
      ...(spec.apiQps === undefined ? {} : { resources: apiClientLimits(spec.apiQps) }),
      triggers: [
        {
          name: `${provider}-push`,
          interceptors: [
            {
              name: `verify-${provider}`,
              ref: { name: provider, kind: 'ClusterInterceptor' },
              params: [
                { name: 'secretRef', value: { secretName: spec.secretName, secretKey: 'secretToken' } },
                { name: 'eventTypes', value: spec.eventTypes },
              ],
            },
          ],
          bindings: [{ ref: `${name}-push`, kind: 'TriggerBinding' }],
          template: { ref: `${name}-pipeline` },
        },
      ],
    }),
  ];
}

/** A Secret holding a webhook secret under secretToken, as the interceptors read it. */
export function webhookSecret(namespace: string, name: string, value: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    stringData: { secretToken: value },
  } as KubeObject;
}

/**
 * Writes the listener, its namespace and its Secret with a secret of its own (random, never printed)
 * to `file` as YAML a user applies with kubectl; returns the file.
 */
export function writeListener(file: string, spec: ListenerSpec): string {
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } },
    webhookSecret(spec.namespace, spec.secretName, randomBytes(24).toString('hex')),
    ...listenerObjects(spec),
  ];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, objects.map((object) => dump(object)).join('---\n'), { mode: 0o600 });
  return file;
}

/** Applies objects with the real kubectl (server-side), creating their namespace first. */
export async function applyObjects(kubeconfig: string, dir: string, objects: KubeObject[]): Promise<void> {
  const namespaces = [
    ...new Set(objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : []))),
  ];
  const file = join(dir, `objects-${process.pid}-${Date.now()}.json`);
  const all = [
    ...namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    ...objects,
  ];
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: all }));
  const applied = await runExecutable(
    'kubectl',
    ['apply', '--server-side', '--field-manager=tekton-tests', '-f', file],
    { KUBECONFIG: kubeconfig },
  );
  if (applied.exitCode !== 0) throw new Error(`kubectl apply failed: ${applied.stderr}`);
}

interface Listener extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string; message?: string }> };
}

/** Waits until the real controller has made the listener Ready (its Deployment available). */
export async function waitForListener(
  kube: KubeClient,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
) {
  return eventually(
    async () => {
      const listener = await kube.read<Listener>({
        apiVersion: 'triggers.tekton.dev/v1beta1',
        kind: 'EventListener',
        name,
        namespace,
      });
      const ready = listener?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True')
        throw new Error(
          `eventlistener ${namespace}/${name} is not Ready: ${ready?.message ?? 'no status yet'}`,
        );
      return listener as Listener;
    },
    { timeoutMs, intervalMs: 500 },
  );
}
