/**
 * `install --bind PATH:EXPORT`: an apis.kcp.io APIBinding that brings another workspace's exported
 * APIs (Deployments, Services, Ingresses from a compute provider) into this one, waited on until
 * it is bound and its resources are served.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, GatewayError, usageError } from '../errors.ts';
import { type KubeClient, limitsAfter } from '../kube/client.ts';
import { servedApis } from '../kube/discovery.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import { isWorkspacePath, parseWorkspaceUrl, workspaceUrl } from './paths.ts';

const BINDING_API_VERSION = 'apis.kcp.io/v1alpha1';
const POLL_MS = 250;

export interface ExportRef {
  path: string;
  name: string;
}

interface APIBinding extends KubeObject {
  spec?: { reference?: { export?: { path?: string; name?: string } } };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    boundResources?: Array<{ group?: string; resource: string }>;
  };
}

export interface BoundExport {
  binding: string;
  export: string;
  action: 'created' | 'existed';
  resources: string[];
}

export const formatExport = (ref: ExportRef) => `${ref.path}:${ref.name}`;

/** `root:compute:kubernetes` → the export `kubernetes` in workspace `root:compute`. */
export function parseExportRef(text: string): ExportRef {
  const separator = text.lastIndexOf(':');
  const ref = { path: text.slice(0, Math.max(0, separator)), name: text.slice(separator + 1) };
  if (separator < 0 || !isWorkspacePath(ref.path) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(ref.name)) {
    throw usageError(
      `--bind "${text}" is not an APIExport reference`,
      'it is the workspace that exports the APIs and the APIExport name, joined by ":"',
      ['for example --bind root:compute:kubernetes'],
    );
  }
  return ref;
}

const refersTo = (binding: APIBinding, ref: ExportRef) =>
  binding.spec?.reference?.export?.path === ref.path && binding.spec?.reference?.export?.name === ref.name;

const resourceName = (bound: { group?: string; resource: string }) =>
  bound.group ? `${bound.resource}.${bound.group}` : bound.resource;

function failedCondition(binding: APIBinding) {
  return binding.status?.conditions?.find(
    (condition) => condition.status === 'False' && condition.type !== 'Ready' && condition.reason,
  );
}

/** Binds `ref` into the workspace `kube` points at (or finds the binding there is), and waits until it serves. */
export async function bindExport(
  kube: KubeClient,
  ref: ExportRef,
  timeoutMs: number,
  progress: Progress,
): Promise<BoundExport> {
  const exportName = formatExport(ref);
  const bindings = await kube.list<APIBinding>(BINDING_API_VERSION, 'APIBinding');
  const existing = bindings.find((binding) => refersTo(binding, ref));
  let name = existing?.metadata.name;
  if (!name) {
    const taken = new Set(bindings.map((binding) => binding.metadata.name));
    name = ref.name;
    for (let suffix = 2; taken.has(name); suffix++) name = `${ref.name}-${suffix}`;
    progress.update(`Binding ${exportName}`);
    await kube
      .create<APIBinding>({
        apiVersion: BINDING_API_VERSION,
        kind: 'APIBinding',
        metadata: { name },
        spec: { reference: { export: { path: ref.path, name: ref.name } } },
      })
      .catch(async (error: unknown) => {
        throw await explainBindRefusal(kube, ref, error);
      });
  }
  const created = !existing;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const binding = await kube.read<APIBinding>({
        apiVersion: BINDING_API_VERSION,
        kind: 'APIBinding',
        name,
      });
      const failed = binding && failedCondition(binding);
      if (binding?.status?.phase === 'Bound') {
        const resources = (binding.status.boundResources ?? []).map(resourceName);
        await waitUntilServed(kube, binding, deadline, progress);
        progress.done(`Bound ${exportName}${resources.length ? `: ${resources.join(', ')}` : ''}`);
        return { binding: name, export: exportName, action: created ? 'created' : 'existed', resources };
      }
      if (failed?.reason === 'APIExportNotFound') {
        throw noSuchExport(
          ref,
          `${failed.message ?? failed.reason}; kcp also says this when the export exists but you may not bind it`,
        );
      }
      if (Date.now() >= deadline) {
        const state = binding?.status?.phase ?? 'no phase yet';
        const reason = failed
          ? `; ${failed.type}: ${failed.reason}${failed.message ? ` (${failed.message})` : ''}`
          : '';
        throw new GatewayError(
          `the binding to ${exportName} is not bound after ${Math.round(timeoutMs / 1000)}s`,
          {
            why: `APIBinding ${name} is ${state}${reason}`,
            next: [
              `kubectl get apibinding ${name} -o yaml`,
              'wait longer with --timeout, e.g. --timeout 10m',
            ],
            exitCode: ExitCode.timeout,
          },
        );
      }
      progress.update(`Waiting for ${exportName} to be bound (${binding?.status?.phase ?? 'pending'})`);
      await sleep(POLL_MS);
    }
  } catch (error) {
    // A binding this command created and could not finish is taken back: the workspace stays as it was.
    // Within a request timeout of the deadline, like every request of a wait.
    const limits = limitsAfter(kube, deadline);
    if (created && limits)
      await kube
        .delete({ apiVersion: BINDING_API_VERSION, kind: 'APIBinding', name }, limits)
        .catch(() => false);
    throw error;
  }
}

const noSuchExport = (ref: ExportRef, why: string) =>
  new GatewayError(`cannot bind ${formatExport(ref)}: there is no such APIExport`, {
    why,
    next: [
      `check the name: kubectl get apiexports (in ${ref.path}: kubectl trigger-gateway workspace use :${ref.path})`,
      'ask the kcp admins which export provides Deployments, Services and Ingresses',
    ],
    exitCode: ExitCode.clusterState,
  });

/**
 * kcp (v0.26) refuses the APIBinding itself with 403 "no permission to bind to export" both when the
 * export does not exist and when you may not bind it: asking the export's workspace tells them apart.
 */
async function explainBindRefusal(kube: KubeClient, ref: ExportRef, error: unknown): Promise<unknown> {
  const status = apiStatusOf(error);
  if (status?.code !== 403 || !/no permission to bind to export/.test(status.message)) return error;
  const here = parseWorkspaceUrl(kube.target.server);
  if (!here) return error;
  const provider = kube.forServer(workspaceUrl(here.base, ref.path));
  try {
    const found = await provider
      .read<KubeObject>({ apiVersion: BINDING_API_VERSION, kind: 'APIExport', name: ref.name })
      .catch((readError: unknown) => {
        if (apiStatusOf(readError)?.code === 403) return 'closed' as const;
        throw readError;
      });
    if (found === undefined)
      return noSuchExport(ref, `workspace ${ref.path} has no APIExport named ${ref.name}`);
    const exportName = formatExport(ref);
    return new GatewayError(`you may not bind ${exportName}`, {
      why:
        found === 'closed'
          ? `kcp says "${status.message}", and you may not look into ${ref.path} to tell whether the export exists`
          : `the export exists, but you lack the "bind" verb on apiexports/${ref.name} in ${ref.path}`,
      next: [`ask an admin of ${ref.path} to grant you "bind" on apiexports/${ref.name}`],
      exitCode: ExitCode.forbidden,
    });
  } finally {
    await provider.close();
  }
}

/** kcp serves bound resources a moment after the binding says Bound: wait for discovery to list them. */
async function waitUntilServed(kube: KubeClient, binding: APIBinding, deadline: number, progress: Progress) {
  const bound = binding.status?.boundResources ?? [];
  if (bound.length === 0) return;
  const needsCore = bound.some((resource) => !resource.group);
  for (;;) {
    const apis = await servedApis(kube, needsCore ? ['v1'] : []);
    const served = bound.every((resource) =>
      resource.group ? apis.groups.has(resource.group) : apis.serves('v1', resource.resource),
    );
    if (served || Date.now() >= deadline) return;
    progress.update('Waiting for the bound APIs to be served');
    await sleep(POLL_MS);
  }
}
