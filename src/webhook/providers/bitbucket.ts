/**
 * Bitbucket Cloud webhooks: X-Event-Key and friends from Bitbucket's "Event payloads" page, the HMAC in
 * X-Hub-Signature, and bodies with what bindings read (push.changes[].new.target.hash, pullrequest.source…).
 */
import type { ProviderFormat } from '../provider-format.ts';
import type { Sample } from '../sample.ts';

const HOOK_UUID = '3f6c2a1e-8b4d-4e7f-9a0c-5d1b2e3f4a6c';
const REPOSITORY_UUID = '{7c1e5a3b-2d4f-4b6a-8e9c-0f1a2b3c4d5e}';
const ACTOR_UUID = '{a2b4c6d8-e0f1-4a3b-9c5d-7e9f1a3b5c7d}';
const WORKSPACE_UUID = '{5e7a9c1b-3d5f-4e7a-8b9c-1d3f5a7b9c0e}';
const PULL_REQUEST_ID = 12;
const DESTINATION_BRANCH = 'main';
/** Bitbucket Cloud abbreviates commit hashes in pull request payloads to 12 digits (BCLOUD-21201). */
const PULL_REQUEST_HASH_LENGTH = 12;

export const bitbucket: ProviderFormat = {
  provider: 'bitbucket',
  events: ['repo:push', 'pullrequest:created', 'pullrequest:updated'],
  defaultRepositoryUrl: 'https://bitbucket.org/example/app.git',
  defaultRef: (event) => (event === 'repo:push' ? 'refs/heads/main' : 'refs/heads/feature/sample'),
  idHeader: 'X-Request-UUID',
  eventHeader: { name: 'X-Event-Key', value: (event) => event },
  signing: { kind: 'hmac', headers: [{ name: 'X-Hub-Signature', algorithm: 'sha256' }] },
  headers: (event, { id }) => ({
    'User-Agent': 'Bitbucket-Webhooks/2.0',
    'Content-Type': 'application/json',
    'X-Event-Key': event,
    'X-Hook-UUID': HOOK_UUID,
    'X-Request-UUID': id,
    'X-Attempt-Number': '1',
  }),
  sampleBody: (event, sample) => (event === 'repo:push' ? pushEvent(sample) : pullRequestEvent(sample)),
};

function apiOf(sample: Sample): string {
  const { host, origin, path } = sample.repository;
  return `${host === 'bitbucket.org' ? 'https://api.bitbucket.org' : `${origin}/!api`}/2.0/repositories/${path}`;
}

function links(self: string, html: string) {
  return { self: { href: self }, html: { href: html } };
}

function actor(sample: Sample) {
  return {
    type: 'user',
    display_name: sample.sender,
    nickname: sample.sender,
    account_id: '557058:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    uuid: ACTOR_UUID,
    links: links(
      `https://api.bitbucket.org/2.0/users/${encodeURIComponent(ACTOR_UUID)}`,
      `${sample.repository.origin}/${encodeURIComponent(ACTOR_UUID)}/`,
    ),
  };
}

function repository(sample: Sample) {
  const r = sample.repository;
  return {
    type: 'repository',
    full_name: r.path,
    name: r.name,
    uuid: REPOSITORY_UUID,
    is_private: false,
    scm: 'git',
    website: null,
    links: links(apiOf(sample), r.htmlUrl),
    workspace: {
      type: 'workspace',
      slug: r.owner,
      name: r.owner,
      uuid: WORKSPACE_UUID,
      links: links(`https://api.bitbucket.org/2.0/workspaces/${r.owner}`, `${r.origin}/${r.owner}/`),
    },
  };
}

function commit(sample: Sample, hash: string) {
  return {
    type: 'commit',
    hash,
    links: links(`${apiOf(sample)}/commit/${hash}`, `${sample.repository.htmlUrl}/commits/${hash}`),
  };
}

function pushEvent(sample: Sample) {
  const kind = sample.ref.startsWith('refs/tags/') ? 'tag' : 'branch';
  const branchLinks = links(
    `${apiOf(sample)}/refs/${kind === 'tag' ? 'tags' : 'branches'}/${sample.refName}`,
    `${sample.repository.htmlUrl}/${kind}/${sample.refName}`,
  );
  const head = {
    ...commit(sample, sample.sha),
    date: sample.timestamp,
    message: 'Sample change sent by kubectl trigger-gateway test\n',
    author: { type: 'author', raw: `${sample.sender} <${sample.sender}@example.com>`, user: actor(sample) },
    parents: [commit(sample, sample.before)],
  };
  return {
    push: {
      changes: [
        {
          old: {
            type: kind,
            name: sample.refName,
            target: commit(sample, sample.before),
            links: branchLinks,
          },
          new: { type: kind, name: sample.refName, target: head, links: branchLinks },
          created: false,
          forced: false,
          closed: false,
          truncated: false,
          commits: [head],
          links: {
            html: { href: `${sample.repository.htmlUrl}/branches/compare/${sample.sha}..${sample.before}` },
          },
        },
      ],
    },
    actor: actor(sample),
    repository: repository(sample),
  };
}

/** Created and updated deliveries differ only in X-Event-Key. */
function pullRequestEvent(sample: Sample) {
  const repo = {
    type: 'repository',
    full_name: sample.repository.path,
    name: sample.repository.name,
    uuid: REPOSITORY_UUID,
  };
  return {
    actor: actor(sample),
    pullrequest: {
      type: 'pullrequest',
      id: PULL_REQUEST_ID,
      title: 'Sample pull request from kubectl trigger-gateway test',
      description: '',
      state: 'OPEN',
      draft: false,
      author: actor(sample),
      source: {
        branch: { name: sample.refName },
        commit: commit(sample, sample.sha.slice(0, PULL_REQUEST_HASH_LENGTH)),
        repository: repo,
      },
      destination: {
        branch: { name: DESTINATION_BRANCH },
        commit: commit(sample, sample.before.slice(0, PULL_REQUEST_HASH_LENGTH)),
        repository: repo,
      },
      merge_commit: null,
      close_source_branch: false,
      comment_count: 0,
      task_count: 0,
      reviewers: [],
      participants: [],
      created_on: sample.timestamp,
      updated_on: sample.timestamp,
      links: links(
        `${apiOf(sample)}/pullrequests/${PULL_REQUEST_ID}`,
        `${sample.repository.htmlUrl}/pull-requests/${PULL_REQUEST_ID}`,
      ),
      reason: '',
    },
    repository: repository(sample),
  };
}
