/**
 * Switching workspaces in a kubeconfig exactly as kcp's `kubectl ws` does, so the two tools can be
 * used side by side: the current workspace is the context and cluster `workspace.kcp.io/current`,
 * the one before it `workspace.kcp.io/previous`, both with the user and namespace of the context
 * they came from. Pure: works on parsed kubeconfig documents.
 */

export const CURRENT_CONTEXT = 'workspace.kcp.io/current';
export const PREVIOUS_CONTEXT = 'workspace.kcp.io/previous';

export type RawEntry = Record<string, unknown>;

/** A kubeconfig file as YAML gives it: only the parts we edit are typed, the rest is kept as is. */
export interface RawKubeconfig {
  clusters?: Array<{ name: string; cluster?: RawEntry }>;
  contexts?: Array<{ name: string; context?: RawEntry & { cluster?: string; user?: string } }>;
  'current-context'?: string;
  [key: string]: unknown;
}

export class KubeconfigSwitchError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'KubeconfigSwitchError';
  }
}

/** Looks entries up across every kubeconfig file in use; the first file that defines a name wins. */
export interface KubeconfigView {
  context(name: string): RawEntry | undefined;
  cluster(name: string): RawEntry | undefined;
}

export function mergedView(documents: RawKubeconfig[]): KubeconfigView {
  const find = (list: 'clusters' | 'contexts', name: string): RawEntry | undefined => {
    for (const document of documents) {
      const entry = (document[list] as Array<{ name: string } & RawEntry> | undefined)?.find(
        (item) => item.name === name,
      );
      if (entry) return (entry[list === 'clusters' ? 'cluster' : 'context'] as RawEntry | undefined) ?? {};
    }
    return undefined;
  };
  return { context: (name) => find('contexts', name), cluster: (name) => find('clusters', name) };
}

const copy = (entry: RawEntry): RawEntry => structuredClone(entry);

function setCluster(document: RawKubeconfig, name: string, cluster: RawEntry): void {
  const clusters = (document.clusters ??= []);
  const existing = clusters.find((item) => item.name === name);
  if (existing) existing.cluster = cluster;
  else clusters.push({ name, cluster });
}

function setContext(document: RawKubeconfig, name: string, context: RawEntry): void {
  const contexts = (document.contexts ??= []);
  const existing = contexts.find((item) => item.name === name);
  if (existing) existing.context = context;
  else contexts.push({ name, context });
}

function contextOrFail(view: KubeconfigView, name: string): RawEntry & { cluster?: string } {
  const context = view.context(name);
  if (!context) {
    throw new KubeconfigSwitchError(
      `context "${name}" is not in the kubeconfig`,
      'kubectl config get-contexts lists the contexts there are',
    );
  }
  return context as RawEntry & { cluster?: string };
}

function clusterOrFail(view: KubeconfigView, name: string | undefined, context: string): RawEntry {
  const cluster = name === undefined ? undefined : view.cluster(name);
  if (!cluster) {
    throw new KubeconfigSwitchError(
      `context "${context}" names cluster "${name ?? ''}", which is not in the kubeconfig`,
      'kubectl config view shows the clusters there are',
    );
  }
  return cluster;
}

/**
 * Makes `workspace.kcp.io/current` point at `server` with the user and namespace of `fromContext`,
 * and remembers `fromContext` as `workspace.kcp.io/previous`. Only those two contexts, their two
 * clusters and current-context change; every other entry of `document` stays as it was.
 */
export function enterWorkspace(
  document: RawKubeconfig,
  view: KubeconfigView,
  fromContext: string,
  server: string,
): void {
  const context = copy(contextOrFail(view, fromContext)) as RawEntry & { cluster?: string };
  const cluster = clusterOrFail(view, context.cluster, fromContext);
  const previous = { ...context };
  if (context.cluster === CURRENT_CONTEXT) {
    // The cluster entry is about to be reused for the new workspace: keep a copy for "previous".
    previous.cluster = PREVIOUS_CONTEXT;
    setCluster(document, PREVIOUS_CONTEXT, copy(cluster));
  }
  setCluster(document, CURRENT_CONTEXT, { ...copy(cluster), server });
  setContext(document, CURRENT_CONTEXT, { ...context, cluster: CURRENT_CONTEXT });
  setContext(document, PREVIOUS_CONTEXT, previous);
  document['current-context'] = CURRENT_CONTEXT;
}

/** `workspace use -`: swaps `workspace.kcp.io/current` and `workspace.kcp.io/previous`. Returns the new server. */
export function returnToPrevious(document: RawKubeconfig, view: KubeconfigView, fromContext: string): string {
  const previousContext = view.context(PREVIOUS_CONTEXT);
  if (!previousContext) {
    throw new KubeconfigSwitchError(
      'there is no previous workspace to go back to',
      `the kubeconfig has no "${PREVIOUS_CONTEXT}" context yet; it is written when you switch workspaces`,
    );
  }
  const current = copy(contextOrFail(view, fromContext)) as RawEntry & { cluster?: string };
  const previous = copy(previousContext) as RawEntry & { cluster?: string };
  // Read both clusters before writing either: they may trade places.
  const currentCluster = clusterOrFail(view, current.cluster, fromContext);
  const previousCluster = clusterOrFail(view, previous.cluster, PREVIOUS_CONTEXT);
  if (current.cluster === CURRENT_CONTEXT) {
    current.cluster = PREVIOUS_CONTEXT;
    setCluster(document, PREVIOUS_CONTEXT, copy(currentCluster));
  }
  if (previous.cluster === PREVIOUS_CONTEXT) {
    previous.cluster = CURRENT_CONTEXT;
    setCluster(document, CURRENT_CONTEXT, copy(previousCluster));
  }
  setContext(document, CURRENT_CONTEXT, previous);
  setContext(document, PREVIOUS_CONTEXT, current);
  document['current-context'] = CURRENT_CONTEXT;
  return String(previousCluster.server ?? '');
}
