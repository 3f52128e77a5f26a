/**
 * Webhook events per provider, named as the provider's event header names them, which is also how
 * Tekton's interceptors list them (eventTypes): GitHub and Gitea `push`, `pull_request`; GitLab
 * `Push Hook`, `Merge Request Hook`. GitLab's hooks store a flag per event instead of a list, so
 * GitLab's names map to those flags here. Pure.
 */
import { usageError } from '../errors.ts';
import type { ForgeProvider } from './types.ts';

/** GitLab's project hook flags, the X-Gitlab-Event each sends, and the short name our samples use. */
export const GITLAB_EVENTS: ReadonlyArray<{ header: string; field: string; short: string }> = [
  { header: 'Push Hook', field: 'push_events', short: 'push' },
  { header: 'Tag Push Hook', field: 'tag_push_events', short: 'tag_push' },
  { header: 'Merge Request Hook', field: 'merge_requests_events', short: 'merge_request' },
  { header: 'Note Hook', field: 'note_events', short: 'note' },
  { header: 'Confidential Note Hook', field: 'confidential_note_events', short: 'confidential_note' },
  { header: 'Issue Hook', field: 'issues_events', short: 'issue' },
  { header: 'Confidential Issue Hook', field: 'confidential_issues_events', short: 'confidential_issue' },
  { header: 'Pipeline Hook', field: 'pipeline_events', short: 'pipeline' },
  { header: 'Job Hook', field: 'job_events', short: 'job' },
  { header: 'Wiki Page Hook', field: 'wiki_page_events', short: 'wiki_page' },
  { header: 'Deployment Hook', field: 'deployment_events', short: 'deployment' },
  { header: 'Release Hook', field: 'releases_events', short: 'release' },
  { header: 'Feature Flag Hook', field: 'feature_flag_events', short: 'feature_flag' },
];

/**
 * Gitea's hook events as its API stores and reports them (modules/webhook/type.go of v1.26), each with
 * the X-GitHub-Event value its deliveries carry (HookEventType.Event), which is what a GitHub
 * interceptor's eventTypes name. `issues` and `pull_request` also stand for their whole group when
 * sent to the API (routers/api/v1/utils/hook.go); `alone` subscribes to the one event only.
 */
const GITEA_HOOK_EVENTS: ReadonlyArray<{ event: string; headers: readonly string[]; alone?: string }> = [
  { event: 'push', headers: ['push'] },
  { event: 'create', headers: ['create'] },
  { event: 'delete', headers: ['delete'] },
  { event: 'fork', headers: ['fork'] },
  { event: 'issues', headers: ['issues'], alone: 'issues_only' },
  { event: 'issue_assign', headers: ['issues'] },
  { event: 'issue_label', headers: ['issues'] },
  { event: 'issue_milestone', headers: ['issues'] },
  { event: 'issue_comment', headers: ['issue_comment'] },
  { event: 'pull_request', headers: ['pull_request'], alone: 'pull_request_only' },
  { event: 'pull_request_assign', headers: ['pull_request'] },
  { event: 'pull_request_label', headers: ['pull_request'] },
  { event: 'pull_request_milestone', headers: ['pull_request'] },
  { event: 'pull_request_comment', headers: ['issue_comment'] },
  {
    event: 'pull_request_review',
    headers: ['pull_request_approved', 'pull_request_rejected', 'pull_request_comment'],
  },
  { event: 'pull_request_review_request', headers: ['pull_request'] },
  { event: 'pull_request_sync', headers: ['pull_request'] },
  { event: 'repository', headers: ['repository'] },
  { event: 'release', headers: ['release'] },
  { event: 'wiki', headers: ['wiki'] },
  { event: 'package', headers: ['package'] },
  { event: 'status', headers: ['status'] },
  { event: 'workflow_run', headers: ['workflow_run'] },
  { event: 'workflow_job', headers: ['workflow_job'] },
];

/** The events of a Gitea group name: `issues` turns on every issue event, `pull_request` every pull request one. */
const GITEA_GROUPS: Readonly<Record<string, readonly string[]>> = {
  issues: ['issues', 'issue_assign', 'issue_label', 'issue_milestone', 'issue_comment'],
  pull_request: GITEA_HOOK_EVENTS.map((entry) => entry.event).filter((event) =>
    event.startsWith('pull_request'),
  ),
};

/** The events Gitea's API takes for a repository hook: its own, and the two that name one event of a group. */
export const GITEA_EVENTS: readonly string[] = [
  ...GITEA_HOOK_EVENTS.map((entry) => entry.event),
  ...GITEA_HOOK_EVENTS.flatMap((entry) => (entry.alone ? [entry.alone] : [])),
];

export const DEFAULT_EVENTS: Readonly<Record<ForgeProvider, readonly string[]>> = {
  github: ['push'],
  gitea: ['push'],
  gitlab: ['Push Hook'],
};

/** GitHub's event names: lower case and underscores (the API refuses names it does not know), or `*`. */
const GITHUB_EVENT = /^(?:\*|[a-z][a-z_]*)$/;

function refuse(provider: ForgeProvider, event: string, known: string): never {
  throw usageError(
    `--events: ${JSON.stringify(event)} is not a ${provider} webhook event`,
    `${provider} events are ${known}`,
    [`e.g. --events ${provider === 'gitlab' ? "'Push Hook,Merge Request Hook'" : 'push,pull_request'}`],
  );
}

/** The events of a comma-separated --events value, in the provider's header spelling, without repeats. */
export function parseEvents(provider: ForgeProvider, text: string | readonly string[]): string[] {
  const given = (typeof text === 'string' ? text.split(',') : [...text])
    .map((event) => event.trim())
    .filter(Boolean);
  if (given.length === 0) throw usageError('--events names no event', undefined, ['e.g. --events push']);
  const events = given.map((event) => {
    if (provider === 'github')
      return GITHUB_EVENT.test(event)
        ? event
        : refuse(provider, event, 'e.g. push, pull_request, release, or *');
    if (provider === 'gitea')
      return GITEA_EVENTS.includes(event) ? event : refuse(provider, event, GITEA_EVENTS.join(', '));
    const found = GITLAB_EVENTS.find(
      (candidate) =>
        candidate.header.toLowerCase() === event.toLowerCase() ||
        candidate.short === event ||
        candidate.field === event,
    );
    return found
      ? found.header
      : refuse(provider, event, GITLAB_EVENTS.map((e) => `"${e.header}"`).join(', '));
  });
  return [...new Set(events)];
}

/** Whether two event lists name the same events, in any order. */
export function sameEvents(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((event) => right.has(event));
}

/**
 * The events a hook registered with `events` reports back: Gitea expands a group name and reports an
 * event subscribed alone by its own name; GitHub and GitLab report what they were sent.
 */
export function storedEvents(provider: ForgeProvider, events: readonly string[]): string[] {
  if (provider !== 'gitea') return [...events];
  const alone = (event: string) => GITEA_HOOK_EVENTS.find((entry) => entry.alone === event)?.event;
  return [...new Set(events.flatMap((event) => GITEA_GROUPS[event] ?? [alone(event) ?? event]))];
}

/**
 * The hook events that make `provider` send deliveries whose event header is one of `headers` (an
 * interceptor's eventTypes), and the headers no hook event of the provider carries.
 */
export function hookEventsFor(
  provider: ForgeProvider,
  headers: readonly string[],
): { events: string[]; unmatched: string[] } {
  const events: string[] = [];
  const unmatched: string[] = [];
  for (const header of headers) {
    const found =
      provider === 'github'
        ? GITHUB_EVENT.test(header)
          ? [header]
          : []
        : provider === 'gitlab'
          ? GITLAB_EVENTS.filter((event) => event.header === header).map((event) => event.header)
          : GITEA_HOOK_EVENTS.filter((entry) => entry.headers.includes(header)).map(
              (entry) => entry.alone ?? entry.event,
            );
    if (found.length === 0) unmatched.push(header);
    events.push(...found);
  }
  return { events: [...new Set(events)], unmatched };
}
