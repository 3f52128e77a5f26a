/**
 * GitHub webhooks: headers as in GitHub's "Webhook events and payloads" page, bodies with the fields
 * Tekton's github bindings read (ref, after, head_commit.id, repository.clone_url, pull_request.head.sha…).
 */
import type { ProviderFormat } from '../provider-format.ts';
import type { Sample } from '../sample.ts';

const HOOK_ID = 512345678;
const REPOSITORY_ID = 823456789;
const SENDER_ID = 61234567;
const PULL_REQUEST_ID = 2123456789;
const PULL_REQUEST_NUMBER = 42;
const COMMENT_ID = 2612345678;
const TREE_SHA = '7a3c9e1f5b2d8a4c6e0f1b3d5a7c9e2f4b6d8a0c';
const BASE_BRANCH = 'main';

export const github: ProviderFormat = {
  provider: 'github',
  events: ['push', 'pull_request', 'issue_comment', 'ping'],
  defaultRepositoryUrl: 'https://github.com/example/app.git',
  defaultRef: (event) => (event === 'pull_request' ? 'refs/heads/feature/sample' : 'refs/heads/main'),
  idHeader: 'X-GitHub-Delivery',
  eventHeader: { name: 'X-GitHub-Event', value: (event) => event },
  signing: {
    kind: 'hmac',
    headers: [
      { name: 'X-Hub-Signature-256', algorithm: 'sha256' },
      // GitHub still sends the SHA-1 form for older receivers; Tekton's interceptor accepts either.
      { name: 'X-Hub-Signature', algorithm: 'sha1' },
    ],
  },
  headers: (event, { id }) => ({
    'User-Agent': 'GitHub-Hookshot/trigger-gateway',
    'Content-Type': 'application/json',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': id,
    'X-GitHub-Hook-ID': String(HOOK_ID),
    'X-GitHub-Hook-Installation-Target-Type': 'repository',
    'X-GitHub-Hook-Installation-Target-ID': String(REPOSITORY_ID),
  }),
  sampleBody(event, sample) {
    if (event === 'pull_request') return pullRequestEvent(sample);
    if (event === 'issue_comment') return issueCommentEvent(sample);
    if (event === 'ping') return pingEvent(sample);
    return pushEvent(sample);
  },
};

/** github.com has api.github.com; GitHub Enterprise Server serves the API under /api/v3. */
function apiOf(sample: Sample): string {
  const { host, origin } = sample.repository;
  return host === 'github.com' ? 'https://api.github.com' : `${origin}/api/v3`;
}

function account(sample: Sample, login: string, id: number) {
  return {
    login,
    id,
    type: 'User',
    site_admin: false,
    html_url: `${sample.repository.origin}/${login}`,
    url: `${apiOf(sample)}/users/${login}`,
  };
}

/** Push events give `url` as the web page; every other event gives the API URL. */
function repository(sample: Sample, urlKind: 'web' | 'api') {
  const r = sample.repository;
  return {
    id: REPOSITORY_ID,
    name: r.name,
    full_name: r.path,
    private: false,
    owner: account(sample, r.owner, SENDER_ID + 1),
    html_url: r.htmlUrl,
    description: null,
    fork: false,
    url: urlKind === 'web' ? r.htmlUrl : `${apiOf(sample)}/repos/${r.path}`,
    git_url: `git://${r.host}/${r.path}.git`,
    ssh_url: `git@${r.host}:${r.path}.git`,
    clone_url: r.cloneUrl,
    default_branch: BASE_BRANCH,
    visibility: 'public',
  };
}

function commit(sample: Sample) {
  const person = {
    name: sample.sender,
    email: `${sample.sender}@users.noreply.github.com`,
    username: sample.sender,
  };
  return {
    id: sample.sha,
    tree_id: TREE_SHA,
    distinct: true,
    message: 'Sample change sent by kubectl trigger-gateway test',
    timestamp: sample.timestamp,
    url: `${sample.repository.htmlUrl}/commit/${sample.sha}`,
    author: person,
    committer: person,
    added: [],
    removed: [],
    modified: ['README.md'],
  };
}

function pushEvent(sample: Sample) {
  const headCommit = commit(sample);
  return {
    ref: sample.ref,
    before: sample.before,
    after: sample.sha,
    repository: repository(sample, 'web'),
    pusher: { name: sample.sender, email: `${sample.sender}@users.noreply.github.com` },
    sender: account(sample, sample.sender, SENDER_ID),
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${sample.repository.htmlUrl}/compare/${sample.before.slice(0, 12)}...${sample.sha.slice(0, 12)}`,
    commits: [headCommit],
    head_commit: headCommit,
  };
}

function pullRequestUrls(sample: Sample) {
  const api = `${apiOf(sample)}/repos/${sample.repository.path}`;
  const html = `${sample.repository.htmlUrl}/pull/${PULL_REQUEST_NUMBER}`;
  return {
    url: `${api}/pulls/${PULL_REQUEST_NUMBER}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${PULL_REQUEST_NUMBER}`,
  };
}

function pullRequestEvent(sample: Sample) {
  const repo = repository(sample, 'api');
  const user = account(sample, sample.sender, SENDER_ID);
  const owner = sample.repository.owner;
  return {
    action: 'opened',
    number: PULL_REQUEST_NUMBER,
    pull_request: {
      ...pullRequestUrls(sample),
      id: PULL_REQUEST_ID,
      number: PULL_REQUEST_NUMBER,
      state: 'open',
      locked: false,
      title: 'Sample pull request from kubectl trigger-gateway test',
      user,
      body: null,
      created_at: sample.timestamp,
      updated_at: sample.timestamp,
      draft: false,
      head: { label: `${owner}:${sample.refName}`, ref: sample.refName, sha: sample.sha, user, repo },
      base: { label: `${owner}:${BASE_BRANCH}`, ref: BASE_BRANCH, sha: sample.before, user, repo },
      merged: false,
      mergeable: null,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1,
    },
    repository: repo,
    sender: user,
  };
}

function issueCommentEvent(sample: Sample) {
  const user = account(sample, sample.sender, SENDER_ID);
  const urls = pullRequestUrls(sample);
  return {
    action: 'created',
    issue: {
      url: urls.issue_url,
      html_url: urls.html_url,
      number: PULL_REQUEST_NUMBER,
      title: 'Sample pull request from kubectl trigger-gateway test',
      user,
      state: 'open',
      pull_request: {
        url: urls.url,
        html_url: urls.html_url,
        diff_url: urls.diff_url,
        patch_url: urls.patch_url,
      },
      body: null,
    },
    comment: {
      id: COMMENT_ID,
      html_url: `${urls.html_url}#issuecomment-${COMMENT_ID}`,
      user,
      created_at: sample.timestamp,
      updated_at: sample.timestamp,
      body: '/retest',
    },
    repository: repository(sample, 'api'),
    sender: user,
  };
}

function pingEvent(sample: Sample) {
  return {
    zen: 'A sample ping from kubectl trigger-gateway test.',
    hook_id: HOOK_ID,
    hook: {
      type: 'Repository',
      id: HOOK_ID,
      name: 'web',
      active: true,
      events: ['push', 'pull_request', 'issue_comment'],
      config: { content_type: 'json', insecure_ssl: '0' },
      created_at: sample.timestamp,
      updated_at: sample.timestamp,
    },
    repository: repository(sample, 'api'),
    sender: account(sample, sample.sender, SENDER_ID),
  };
}
