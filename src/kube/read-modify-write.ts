import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import { ConflictError, type KubeClient, type ObjectRef } from './client.ts';

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

/** What an edit decided: new data to write, or nothing to do. Either way with a result to report. */
export type ConfigMapEdit<R> = { data: Record<string, string>; result: R } | { unchanged: true; result: R };

export interface ReadModifyWriteResult<R> {
  result: R;
  before: ConfigMapObject;
  after: ConfigMapObject;
  written: boolean;
  attempts: number;
}

/** How long to keep retrying against other writers before giving up. */
const RETRY_BUDGET_MS = 60_000;
/** Backoff ceiling: retries spread over up to this long, so that many writers stop colliding. */
const MAX_BACKOFF_MS = 1_000;

/**
 * Reads a ConfigMap, applies `edit` to what is there now, and writes it back at the resourceVersion
 * it read. When someone else wrote in between, it reads again and re-applies the edit to their
 * version, so that concurrent edits all land and none is lost.
 */
export async function updateConfigMapWithRetry<R>(
  kube: KubeClient,
  ref: Omit<ObjectRef, 'apiVersion' | 'kind'>,
  edit: (current: ConfigMapObject) => Promise<ConfigMapEdit<R>> | ConfigMapEdit<R>,
  options: { notFound: () => GatewayError; dryRun?: boolean },
): Promise<ReadModifyWriteResult<R>> {
  const full: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', ...ref };
  const deadline = Date.now() + RETRY_BUDGET_MS;
  let attempt = 0;
  while (Date.now() < deadline) {
    attempt++;
    const current = await kube.read<ConfigMapObject>(full);
    if (!current) throw options.notFound();
    const decision = await edit(current);
    if ('unchanged' in decision || options.dryRun) {
      const after = 'unchanged' in decision ? current : { ...current, data: decision.data };
      return { result: decision.result, before: current, after, written: false, attempts: attempt };
    }
    try {
      const after = await kube.replace<ConfigMapObject>({ ...current, data: decision.data });
      return { result: decision.result, before: current, after, written: true, attempts: attempt };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Exponential backoff with full jitter: colliding writers spread out instead of colliding again.
      const ceiling = Math.min(MAX_BACKOFF_MS, 25 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
  throw new GatewayError(`configmap ${ref.namespace}/${ref.name} kept changing under this update`, {
    why: `for ${RETRY_BUDGET_MS / 1000}s, each of ${attempt} attempts found that someone else had written it first`,
    next: ['run the command again; if it keeps failing, look for a controller rewriting the ConfigMap'],
    exitCode: ExitCode.clusterState,
  });
}
