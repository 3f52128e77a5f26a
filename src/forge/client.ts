/**
 * Requests to one provider's REST API: JSON in and out, the token in the provider's header, through the
 * proxy the environment names (kube/transport.ts, as every request of the plugin), pages followed by
 * their Link headers. Answers that are not 2xx become ForgeErrors, classified by the provider's module.
 */
import { type Answer, sendOnce, type SendOptions, USER_AGENT } from '../kube/transport.ts';
import { ForgeError } from './errors.ts';
import { linkTarget } from './link.ts';
import type { ForgeHook, ForgeProvider, RepositoryRef } from './types.ts';

export type Send = (url: string, options: SendOptions) => Promise<Answer>;

/** What a provider's client is made from. */
export interface ForgeApiOptions {
  apiUrl: string;
  token: string;
  /** Milliseconds per request (--request-timeout); 0 for none. */
  timeoutMs: number;
  send?: Send | undefined;
}

export interface ForgeClientOptions {
  provider: ForgeProvider;
  /** The API's base URL, without a trailing slash, e.g. https://gitea.example.com/api/v1. */
  apiUrl: string;
  /** The token's header(s), and any the provider wants on every request. */
  headers: Record<string, string>;
  timeoutMs: number;
  /** The provider's reading of a refusal. */
  explain: (answer: Answer, request: string) => ForgeError;
  /** How requests are sent; tests may replace it. */
  send?: Send | undefined;
}

export interface ForgeResponse<T> {
  status: number;
  headers: Answer['headers'];
  data: T;
}

/** More pages than any repository has hooks: a Link loop ends here. */
const MAX_PAGES = 100;

export class ForgeClient {
  private readonly send: Send;

  constructor(readonly options: ForgeClientOptions) {
    this.send = options.send ?? sendOnce;
  }

  get apiUrl(): string {
    return this.options.apiUrl;
  }

  /** One request to `path` (below the API URL, query included); rejects with a ForgeError unless 2xx. */
  async request<T>(method: string, path: string, body?: object): Promise<ForgeResponse<T>> {
    return this.requestUrl<T>(method, `${this.options.apiUrl}${path}`, body);
  }

  /** Every item of a paginated list, following rel="next" links on the API's own origin only. */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = `${this.options.apiUrl}${path}`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response: ForgeResponse<unknown> = await this.requestUrl<unknown>('GET', url);
      if (!Array.isArray(response.data)) throw this.notTheApi('GET', url, 'a list');
      items.push(...(response.data as T[]));
      const next = linkTarget(response.headers.link, 'next');
      // The token goes to the API it was given for, never to another host a header names.
      url = next && new URL(next, url).origin === new URL(this.options.apiUrl).origin ? next : undefined;
    }
    return items;
  }

  private async requestUrl<T>(method: string, url: string, body?: object): Promise<ForgeResponse<T>> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
      ...this.options.headers,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    };
    const answer = await this.send(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.options.timeoutMs,
    });
    const request = `${method} ${new URL(url).pathname}`;
    if (answer.status < 200 || answer.status >= 300) throw this.options.explain(answer, request);
    if (answer.status === 204 || answer.body.trim() === '')
      return { status: answer.status, headers: answer.headers, data: undefined as T };
    try {
      return { status: answer.status, headers: answer.headers, data: JSON.parse(answer.body) as T };
    } catch {
      throw this.notTheApi(method, url, 'JSON');
    }
  }

  private notTheApi(method: string, url: string, wanted: string): ForgeError {
    return new ForgeError(
      this.options.provider,
      'server',
      200,
      `${method} ${new URL(url).pathname}`,
      `the answer is not ${wanted}: is ${this.options.apiUrl} the provider's API?`,
    );
  }
}

/** The JSON body of an error answer, or undefined when it is not JSON. */
export function errorBody(answer: Answer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(answer.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A header's value as one string (Node gives repeated ones as an array). */
export const headerText = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join(', ') : (value ?? '');

/** A hook as GitHub's API shows it, whose shape Gitea's API copies. */
export interface ConfigHook {
  id: number;
  active: boolean;
  events: string[];
  config: { url?: string; content_type?: string };
}

/** A GitHub-shaped hook in common terms; what the provider alone knows comes with it. */
export function fromConfigHook(
  hook: ConfigHook,
  known: Pick<ForgeHook, 'verifiesTls' | 'hasSecret'>,
): ForgeHook {
  return {
    id: String(hook.id),
    url: hook.config.url ?? '',
    events: hook.events,
    active: hook.active,
    contentType: hook.config.content_type === 'json' ? 'json' : 'form',
    ...known,
  };
}

/** /repos/OWNER/REPO, as GitHub and Gitea name a repository. */
export const repositoryPath = (repo: RepositoryRef) =>
  `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
