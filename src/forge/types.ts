/**
 * What the webhook commands know of a forge (GitHub, GitLab, Gitea), in common terms; each provider's
 * module maps its REST API onto these. Pure: no I/O.
 */

export type ForgeProvider = 'github' | 'gitlab' | 'gitea';

export const FORGE_PROVIDERS: readonly ForgeProvider[] = ['github', 'gitlab', 'gitea'];

export const FORGE_NAMES: Readonly<Record<ForgeProvider, string>> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  gitea: 'Gitea',
};

/** OWNER/REPO; on GitLab the owner may be a group path (group/subgroup). */
export interface RepositoryRef {
  owner: string;
  name: string;
}

export const repositoryName = (repo: RepositoryRef) => `${repo.owner}/${repo.name}`;

/** A repository webhook as its provider reports it. */
export interface ForgeHook {
  /** The provider's ID, as text (GitHub's and Gitea's are numbers, GitLab's too). */
  id: string;
  url: string;
  /** The events it is sent for, as the provider's event header names them (push; Push Hook). */
  events: string[];
  active: boolean;
  /** json or form; GitLab always sends JSON. */
  contentType: 'json' | 'form';
  /** Whether the provider checks the receiver's certificate; undefined where that is an instance setting (Gitea). */
  verifiesTls: boolean | undefined;
  /** Whether a secret is set, where the provider says so (GitHub shows "********"); undefined where it does not. */
  hasSecret: boolean | undefined;
  /** The provider's own word on the hook's health (GitLab's alert_status: executable, temporarily_disabled, disabled). */
  health?: string;
}

/** What we register: the gateway's URL for a route, the events, and the secret the listener checks. */
export interface HookSpec {
  url: string;
  events: string[];
  /** undefined: none is set on a new hook, and an existing hook's is left as it is. */
  secret: string | undefined;
}

/** The newest delivery of a hook, as far as the provider's API tells. */
export type LastDelivery =
  | { kind: 'delivered'; ok: boolean; code: number | undefined; status: string; at: string | undefined }
  | { kind: 'none' }
  | { kind: 'unavailable'; why: string };

/** A delivery a hook made, as the provider's API records it. */
export interface SentDelivery {
  /** The provider's own key for the record, to tell new ones from old. */
  key: string;
  /** The ID its delivery header carried (X-GitHub-Delivery, X-Gitlab-Event-UUID); undefined when not recorded. */
  id: string | undefined;
  /** The event, as the provider names it in the record (GitHub: push; GitLab: push_hooks). */
  event: string;
  /** The receiver's status; undefined when it did not answer. */
  status: number | undefined;
  /** The receiver's answer, where the record holds it (GitLab's events); GitHub's takes a request of its own. */
  responseBody?: string | undefined;
}

/** One provider's repository webhook API. */
export interface ForgeApi {
  readonly provider: ForgeProvider;
  /** The API's base URL, e.g. https://api.github.com. */
  readonly apiUrl: string;
  listHooks(repo: RepositoryRef): Promise<ForgeHook[]>;
  createHook(repo: RepositoryRef, spec: HookSpec): Promise<ForgeHook>;
  updateHook(repo: RepositoryRef, hook: ForgeHook, spec: HookSpec): Promise<ForgeHook>;
  deleteHook(repo: RepositoryRef, hook: ForgeHook): Promise<void>;
  lastDelivery(repo: RepositoryRef, hook: ForgeHook): Promise<LastDelivery>;
  /** Asks the provider to send the hook a real push delivery (its "test" endpoint). */
  testHook(repo: RepositoryRef, hook: ForgeHook): Promise<void>;
  /** The hook's recent deliveries, newest first; undefined where the API keeps none (Gitea). */
  recentDeliveries(repo: RepositoryRef, hook: ForgeHook): Promise<SentDelivery[] | undefined>;
  /** What the receiver answered to a delivery, where the provider keeps it. */
  deliveryResponse(repo: RepositoryRef, hook: ForgeHook, delivery: SentDelivery): Promise<string | undefined>;
}
