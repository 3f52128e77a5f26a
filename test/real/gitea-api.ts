/**
 * What the Gitea suites do to Gitea besides the plugin: repositories, commits, users and tokens
 * through its own API, and its own record of each webhook delivery (hook_task, in its sqlite
 * database), which its API does not serve.
 */
import { DatabaseSync } from 'node:sqlite';
import type { ProvidedRealGitea } from './gitea-global-setup.ts';

export interface HookTask {
  hookId: number;
  uuid: string;
  eventType: string;
  delivered: boolean;
  succeeded: boolean;
  /** The status the receiver answered with, from Gitea's record of the response. */
  status: number | undefined;
  /** What the receiver answered (an EventListener: its eventID), as Gitea recorded it. */
  body: string | undefined;
  /** The commit a push delivered (its payload's `after`). */
  commit: string | undefined;
}

export class GiteaApi {
  constructor(
    private readonly gitea: ProvidedRealGitea,
    private readonly auth = `token ${gitea.admin.token}`,
  ) {}

  async call<T>(method: string, path: string, body?: object): Promise<{ status: number; data: T }> {
    const response = await fetch(`${this.gitea.apiUrl}${path}`, {
      method,
      headers: { Authorization: this.auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T };
  }

  private async ok<T>(method: string, path: string, body?: object): Promise<T> {
    const { status, data } = await this.call<T>(method, path, body);
    if (status < 200 || status >= 300)
      throw new Error(`${method} ${path}: ${status} ${JSON.stringify(data)}`);
    return data;
  }

  /** A repository of the token's user with one commit on main (none with `empty`). */
  createRepository(
    name: string,
    options: { private?: boolean; empty?: boolean } = {},
  ): Promise<{ full_name: string }> {
    return this.ok('POST', '/user/repos', {
      name,
      auto_init: !options.empty,
      default_branch: 'main',
      private: options.private ?? false,
    });
  }

  /** Commits a new file on main through the contents API: Gitea then sends its push webhooks. */
  async commitFile(repository: string, path: string, text: string): Promise<string> {
    const result = await this.ok<{ commit: { sha: string } }>(
      'POST',
      `/repos/${repository}/contents/${path}`,
      {
        content: Buffer.from(text).toString('base64'),
        message: `add ${path}`,
        branch: 'main',
      },
    );
    return result.commit.sha;
  }

  async hooks(repository: string): Promise<Array<{ id: number; config: { url: string }; events: string[] }>> {
    return this.ok('GET', `/repos/${repository}/hooks`);
  }

  async createHook(repository: string, url: string): Promise<{ id: number }> {
    return this.ok('POST', `/repos/${repository}/hooks`, {
      type: 'gitea',
      active: true,
      events: ['push'],
      config: { url, content_type: 'json' },
    });
  }

  /** A user (the admin API) and a token of theirs with these scopes (their own password). */
  async createUserWithToken(name: string, scopes: string[]): Promise<string> {
    const password = `pw-${name}-0123456789`;
    await this.ok('POST', '/admin/users', {
      username: name,
      email: `${name}@example.com`,
      password,
      must_change_password: false,
    });
    return this.createToken(name, password, scopes);
  }

  async createToken(user: string, password: string, scopes: string[]): Promise<string> {
    const response = await fetch(`${this.gitea.apiUrl}/users/${user}/tokens`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ name: `t-${Date.now()}-${Math.random().toString(36).slice(2)}`, scopes }),
    });
    if (response.status !== 201)
      throw new Error(`token for ${user}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { sha1: string }).sha1;
  }

  async addCollaborator(
    repository: string,
    user: string,
    permission: 'read' | 'write' | 'admin',
  ): Promise<void> {
    await this.ok('PUT', `/repos/${repository}/collaborators/${user}`, { permission });
  }
}

function pushedCommit(payload: string | null): string | undefined {
  try {
    const after = (JSON.parse(payload ?? '') as { after?: unknown }).after;
    return typeof after === 'string' ? after : undefined;
  } catch {
    return undefined;
  }
}

/** Gitea's own record of the deliveries of a hook, newest first. */
export function hookTasks(database: string, hookId: number): HookTask[] {
  const db = new DatabaseSync(database, { readOnly: true });
  try {
    const rows = db
      .prepare(
        'SELECT hook_id, uuid, event_type, is_delivered, is_succeed, response_content, payload_content FROM hook_task WHERE hook_id = ? ORDER BY id DESC',
      )
      .all(hookId) as Array<{
      hook_id: number;
      uuid: string;
      event_type: string;
      is_delivered: number;
      is_succeed: number;
      response_content: string | null;
      payload_content: string | null;
    }>;
    return rows.map((row) => {
      let response: { status?: number; body?: string } = {};
      try {
        response = JSON.parse(row.response_content ?? '') as typeof response;
      } catch {
        response = {};
      }
      return {
        hookId: row.hook_id,
        uuid: row.uuid,
        eventType: row.event_type,
        delivered: row.is_delivered === 1,
        succeeded: row.is_succeed === 1,
        status: response.status,
        body: response.body,
        commit: pushedCommit(row.payload_content),
      };
    });
  } finally {
    db.close();
  }
}

/** The secret Gitea keeps for a hook (its webhook table): what it signs deliveries with. */
export function hookSecret(database: string, hookId: number): string | undefined {
  const db = new DatabaseSync(database, { readOnly: true });
  try {
    const row = db.prepare('SELECT secret FROM webhook WHERE id = ?').get(hookId) as
      { secret: string } | undefined;
    return row?.secret;
  } finally {
    db.close();
  }
}
