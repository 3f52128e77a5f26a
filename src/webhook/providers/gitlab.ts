/**
 * GitLab webhooks: the headers GitLab's WebHookService sends (the secret token as is, no HMAC) and bodies
 * with what Tekton's gitlab bindings read (checkout_sha, ref, project.git_http_url, object_attributes…).
 */
import type { ProviderFormat } from '../provider-format.ts';
import type { Sample } from '../sample.ts';

/** The version in User-Agent: GitLab/<version>. */
const GITLAB_VERSION = '18.0.0';
const PROJECT_ID = 61234567;
const USER_ID = 4123456;
const MERGE_REQUEST_ID = 381234567;
const MERGE_REQUEST_IID = 7;
const NOTE_ID = 2412345678;
const ZERO_SHA = '0'.repeat(40);
const TARGET_BRANCH = 'main';
/** GitLab's visibility level for public projects. */
const PUBLIC = 20;

/** GitLab names the hook, not the object kind, in X-Gitlab-Event. */
const EVENT_HEADER: Record<string, string> = {
  push: 'Push Hook',
  tag_push: 'Tag Push Hook',
  merge_request: 'Merge Request Hook',
  note: 'Note Hook',
};

const hookName = (event: string) => EVENT_HEADER[event] ?? event;

export const gitlab: ProviderFormat = {
  provider: 'gitlab',
  events: Object.keys(EVENT_HEADER),
  defaultRepositoryUrl: 'https://gitlab.com/example/app.git',
  defaultRef(event) {
    if (event === 'tag_push') return 'refs/tags/v1.0.0';
    if (event === 'merge_request' || event === 'note') return 'refs/heads/feature/sample';
    return 'refs/heads/main';
  },
  idHeader: 'X-Gitlab-Event-UUID',
  eventHeader: { name: 'X-Gitlab-Event', value: hookName },
  signing: { kind: 'token', header: 'X-Gitlab-Token' },
  headers: (event, { id, sample, newId }) => ({
    'Content-Type': 'application/json',
    'User-Agent': `GitLab/${GITLAB_VERSION}`,
    'Idempotency-Key': newId(),
    'X-Gitlab-Event': hookName(event),
    'X-Gitlab-Webhook-UUID': newId(),
    'X-Gitlab-Instance': sample.repository.origin,
    'X-Gitlab-Event-UUID': id,
  }),
  sampleBody(event, sample) {
    if (event === 'tag_push') return tagPushEvent(sample);
    if (event === 'merge_request') return mergeRequestEvent(sample);
    if (event === 'note') return noteEvent(sample);
    return pushEvent(sample);
  },
};

function sshUrl(sample: Sample): string {
  return `git@${sample.repository.host}:${sample.repository.path}.git`;
}

function project(sample: Sample) {
  const r = sample.repository;
  return {
    id: PROJECT_ID,
    name: r.name,
    description: '',
    web_url: r.htmlUrl,
    avatar_url: null,
    git_ssh_url: sshUrl(sample),
    git_http_url: r.cloneUrl,
    namespace: r.owner,
    visibility_level: PUBLIC,
    path_with_namespace: r.path,
    default_branch: TARGET_BRANCH,
    ci_config_path: '',
    homepage: r.htmlUrl,
    url: sshUrl(sample),
    ssh_url: sshUrl(sample),
    http_url: r.cloneUrl,
  };
}

/** GitLab still sends the older `repository` object; Tekton's own gitlab example reads it. */
function repository(sample: Sample) {
  const r = sample.repository;
  return {
    name: r.name,
    url: sshUrl(sample),
    description: '',
    homepage: r.htmlUrl,
    git_http_url: r.cloneUrl,
    git_ssh_url: sshUrl(sample),
    visibility_level: PUBLIC,
  };
}

function user(sample: Sample) {
  return { id: USER_ID, name: sample.sender, username: sample.sender, avatar_url: null, email: '[REDACTED]' };
}

function commit(sample: Sample) {
  const title = 'Sample change sent by kubectl trigger-gateway test';
  return {
    id: sample.sha,
    message: `${title}\n`,
    title,
    timestamp: sample.timestamp,
    url: `${sample.repository.htmlUrl}/-/commit/${sample.sha}`,
    author: { name: sample.sender, email: `${sample.sender}@example.com` },
    added: [],
    modified: ['README.md'],
    removed: [],
  };
}

/** Push and tag push share one shape; a tag push usually lists no commits. */
function refEvent(sample: Sample, kind: 'push' | 'tag_push', before: string, commits: object[]) {
  return {
    object_kind: kind,
    event_name: kind,
    before,
    after: sample.sha,
    ref: sample.ref,
    ref_protected: true,
    checkout_sha: sample.sha,
    message: null,
    user_id: USER_ID,
    user_name: sample.sender,
    user_username: sample.sender,
    user_email: '',
    user_avatar: null,
    project_id: PROJECT_ID,
    project: project(sample),
    commits,
    total_commits_count: commits.length,
    push_options: {},
    repository: repository(sample),
  };
}

function pushEvent(sample: Sample) {
  return refEvent(sample, 'push', sample.before, [commit(sample)]);
}

function tagPushEvent(sample: Sample) {
  return refEvent(sample, 'tag_push', ZERO_SHA, []);
}

function mergeRequestUrl(sample: Sample): string {
  return `${sample.repository.htmlUrl}/-/merge_requests/${MERGE_REQUEST_IID}`;
}

function mergeRequest(sample: Sample) {
  return {
    id: MERGE_REQUEST_ID,
    iid: MERGE_REQUEST_IID,
    title: 'Sample merge request from kubectl trigger-gateway test',
    description: '',
    state: 'opened',
    target_branch: TARGET_BRANCH,
    source_branch: sample.refName,
    source_project_id: PROJECT_ID,
    target_project_id: PROJECT_ID,
    author_id: USER_ID,
    created_at: sample.timestamp,
    updated_at: sample.timestamp,
    merge_status: 'unchecked',
    detailed_merge_status: 'checking',
    draft: false,
    work_in_progress: false,
    url: mergeRequestUrl(sample),
    source: project(sample),
    target: project(sample),
    last_commit: commit(sample),
  };
}

function mergeRequestEvent(sample: Sample) {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: user(sample),
    project: project(sample),
    object_attributes: { ...mergeRequest(sample), action: 'open' },
    labels: [],
    changes: {},
    repository: repository(sample),
  };
}

function noteEvent(sample: Sample) {
  return {
    object_kind: 'note',
    event_type: 'note',
    user: user(sample),
    project_id: PROJECT_ID,
    project: project(sample),
    object_attributes: {
      id: NOTE_ID,
      note: '/retest',
      noteable_type: 'MergeRequest',
      author_id: USER_ID,
      created_at: sample.timestamp,
      updated_at: sample.timestamp,
      project_id: PROJECT_ID,
      noteable_id: MERGE_REQUEST_ID,
      system: false,
      action: 'create',
      url: `${mergeRequestUrl(sample)}#note_${NOTE_ID}`,
    },
    repository: repository(sample),
    merge_request: mergeRequest(sample),
  };
}
