/**
 * Sample bodies carry the fields Tekton's common TriggerBindings read, in each provider's own shape, and
 * follow the sample options deterministically.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  buildDelivery,
  eventsOf,
  InvalidSampleError,
  PROVIDERS,
  SAMPLE_DEFAULTS,
  type Provider,
  type SampleOptions,
} from '../../src/webhook/index.ts';
import { caught } from './caught.ts';

const OPTIONS: SampleOptions = {
  repositoryUrl: 'https://git.example.org/acme/widgets.git',
  ref: 'refs/heads/release-2',
  sha: 'ABCDEF0123456789abcdef0123456789ABCDEF01',
  sender: 'jdoe',
};
const SHA = OPTIONS.sha!.toLowerCase();

function body(provider: Provider, event: string, sample?: SampleOptions): unknown {
  return JSON.parse(buildDelivery({ provider, event, sample }).body.toString('utf8'));
}

/** The value at a Tekton-style path: a.b[0].c */
function at(value: unknown, path: string): unknown {
  return path
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== '')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
}

describe('the fields bindings read', () => {
  it.each([
    [
      'github',
      'push',
      {
        ref: 'refs/heads/release-2',
        after: SHA,
        'head_commit.id': SHA,
        'repository.clone_url': 'https://git.example.org/acme/widgets.git',
        'repository.full_name': 'acme/widgets',
        'repository.html_url': 'https://git.example.org/acme/widgets',
        'repository.url': 'https://git.example.org/acme/widgets',
        'repository.name': 'widgets',
        'sender.login': 'jdoe',
        'pusher.name': 'jdoe',
      },
    ],
    [
      'github',
      'pull_request',
      {
        action: 'opened',
        number: 42,
        'pull_request.head.sha': SHA,
        'pull_request.head.ref': 'release-2',
        'pull_request.base.ref': 'main',
        'pull_request.html_url': 'https://git.example.org/acme/widgets/pull/42',
        'repository.clone_url': 'https://git.example.org/acme/widgets.git',
        'repository.full_name': 'acme/widgets',
        'sender.login': 'jdoe',
      },
    ],
    [
      'github',
      'issue_comment',
      {
        action: 'created',
        'issue.number': 42,
        'issue.pull_request.html_url': 'https://git.example.org/acme/widgets/pull/42',
        'comment.body': '/retest',
        'repository.clone_url': 'https://git.example.org/acme/widgets.git',
        'sender.login': 'jdoe',
      },
    ],
    [
      'github',
      'ping',
      { 'hook.type': 'Repository', 'repository.full_name': 'acme/widgets', 'sender.login': 'jdoe' },
    ],
    [
      'gitlab',
      'push',
      {
        object_kind: 'push',
        ref: 'refs/heads/release-2',
        checkout_sha: SHA,
        after: SHA,
        'commits[0].id': SHA,
        'project.git_http_url': 'https://git.example.org/acme/widgets.git',
        'project.web_url': 'https://git.example.org/acme/widgets',
        'project.path_with_namespace': 'acme/widgets',
        'repository.git_http_url': 'https://git.example.org/acme/widgets.git',
        user_username: 'jdoe',
      },
    ],
    [
      'gitlab',
      'tag_push',
      {
        object_kind: 'tag_push',
        ref: 'refs/heads/release-2',
        checkout_sha: SHA,
        before: '0'.repeat(40),
        'project.git_http_url': 'https://git.example.org/acme/widgets.git',
        user_username: 'jdoe',
      },
    ],
    [
      'gitlab',
      'merge_request',
      {
        object_kind: 'merge_request',
        'object_attributes.action': 'open',
        'object_attributes.iid': 7,
        'object_attributes.source_branch': 'release-2',
        'object_attributes.target_branch': 'main',
        'object_attributes.last_commit.id': SHA,
        'project.git_http_url': 'https://git.example.org/acme/widgets.git',
        'repository.name': 'widgets',
        'user.username': 'jdoe',
      },
    ],
    [
      'gitlab',
      'note',
      {
        object_kind: 'note',
        'object_attributes.note': '/retest',
        'object_attributes.noteable_type': 'MergeRequest',
        'merge_request.last_commit.id': SHA,
        'merge_request.source_branch': 'release-2',
        'project.git_http_url': 'https://git.example.org/acme/widgets.git',
        'user.username': 'jdoe',
      },
    ],
    [
      'bitbucket',
      'repo:push',
      {
        'push.changes[0].new.type': 'branch',
        'push.changes[0].new.name': 'release-2',
        'push.changes[0].new.target.hash': SHA,
        'repository.full_name': 'acme/widgets',
        'repository.links.html.href': 'https://git.example.org/acme/widgets',
        'actor.nickname': 'jdoe',
      },
    ],
    [
      'bitbucket',
      'pullrequest:created',
      {
        'pullrequest.id': 12,
        'pullrequest.source.branch.name': 'release-2',
        'pullrequest.source.commit.hash': SHA.slice(0, 12),
        'pullrequest.destination.branch.name': 'main',
        'pullrequest.links.html.href': 'https://git.example.org/acme/widgets/pull-requests/12',
        'repository.links.html.href': 'https://git.example.org/acme/widgets',
        'actor.nickname': 'jdoe',
      },
    ],
    [
      'generic',
      'push',
      {
        event: 'push',
        ref: 'refs/heads/release-2',
        sha: SHA,
        'repository.clone_url': 'https://git.example.org/acme/widgets.git',
        'repository.full_name': 'acme/widgets',
        sender: 'jdoe',
      },
    ],
  ] as const)('%s %s', (provider, event, fields) => {
    const sent = body(provider, event, OPTIONS);
    for (const [path, value] of Object.entries(fields))
      expect({ path, value: at(sent, path) }).toEqual({ path, value });
  });
});

describe('defaults', () => {
  it.each([
    ['github', 'repository.clone_url', 'https://github.com/example/app.git'],
    ['gitlab', 'project.git_http_url', 'https://gitlab.com/example/app.git'],
    ['bitbucket', 'repository.links.html.href', 'https://bitbucket.org/example/app'],
    ['generic', 'repository.clone_url', 'https://git.example.com/example/app.git'],
  ] as const)('%s: %s is %s', (provider, path, url) => {
    expect(at(body(provider, eventsOf(provider)[0]!), path)).toBe(url);
  });

  it('push samples are refs/heads/main at the fixed sha, sent by example-user', () => {
    const sent = body('github', 'push');
    expect(at(sent, 'ref')).toBe('refs/heads/main');
    expect(at(sent, 'after')).toBe(SAMPLE_DEFAULTS.sha);
    expect(at(sent, 'sender.login')).toBe('example-user');
    expect(SAMPLE_DEFAULTS.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('pull and merge request samples come from a feature branch into main', () => {
    expect(at(body('github', 'pull_request'), 'pull_request.head.ref')).toBe('feature/sample');
    expect(at(body('gitlab', 'merge_request'), 'object_attributes.source_branch')).toBe('feature/sample');
    expect(at(body('bitbucket', 'pullrequest:updated'), 'pullrequest.source.branch.name')).toBe(
      'feature/sample',
    );
  });

  it('a tag push is a tag: refs/tags/v1.0.0, and a bare name becomes a tag too', () => {
    expect(at(body('gitlab', 'tag_push'), 'ref')).toBe('refs/tags/v1.0.0');
    expect(at(body('gitlab', 'tag_push', { ref: 'v2.3.4' }), 'ref')).toBe('refs/tags/v2.3.4');
  });

  it('a bare branch name becomes refs/heads/<name>; a Bitbucket push of a tag says so', () => {
    expect(at(body('github', 'push', { ref: 'develop' }), 'ref')).toBe('refs/heads/develop');
    const tagPush = body('bitbucket', 'repo:push', { ref: 'refs/tags/v1' });
    expect(at(tagPush, 'push.changes[0].new.type')).toBe('tag');
    expect(at(tagPush, 'push.changes[0].new.name')).toBe('v1');
  });

  it('GitHub Enterprise repositories get /api/v3 API URLs', () => {
    const sent = body('github', 'pull_request', { repositoryUrl: 'https://ghe.corp.example/acme/widgets' });
    expect(at(sent, 'pull_request.url')).toBe('https://ghe.corp.example/api/v3/repos/acme/widgets/pulls/42');
    expect(at(sent, 'repository.clone_url')).toBe('https://ghe.corp.example/acme/widgets.git');
  });

  it('GitLab subgroups stay in the path; the project is the last segment', () => {
    const sent = body('gitlab', 'push', { repositoryUrl: 'https://gitlab.com/acme/platform/widgets.git' });
    expect(at(sent, 'project.path_with_namespace')).toBe('acme/platform/widgets');
    expect(at(sent, 'project.namespace')).toBe('acme/platform');
    expect(at(sent, 'project.name')).toBe('widgets');
  });
});

describe('determinism', () => {
  it.each(PROVIDERS.flatMap((p) => eventsOf(p).map((e) => [p, e] as const)))(
    '%s %s: same options, same bytes',
    (provider, event) => {
      const a = buildDelivery({ provider, event, sample: OPTIONS });
      const b = buildDelivery({ provider, event, sample: { ...OPTIONS } });
      expect(a.body.equals(b.body)).toBe(true);
    },
  );
});

describe('invalid sample options', () => {
  it.each([
    [{ repositoryUrl: 'github.com/acme/widgets' }, 'not a URL'],
    [{ repositoryUrl: 'git@github.com:acme/widgets.git' }, 'not a URL'],
    [{ repositoryUrl: 'ssh://git@github.com/acme/widgets.git' }, 'https or http'],
    [{ repositoryUrl: 'https://github.com/widgets.git' }, 'owner and a repository'],
    [{ repositoryUrl: 'https://x:token@github.com/acme/widgets.git' }, 'user name or password'],
    [{ repositoryUrl: 'https://github.com/acme/widgets.git?x=1' }, 'query'],
    [{ ref: 'refs/heads/a..b' }, 'invalid ref'],
    [{ ref: 'feature x' }, 'invalid ref'],
    [{ sha: 'abc1234' }, 'invalid commit sha'],
    [{ sha: 'z'.repeat(40) }, 'invalid commit sha'],
    [{ sender: '' }, 'invalid sender'],
    [{ sender: 'has space' }, 'invalid sender'],
  ] as const)('%j: %s', (sample, text) => {
    const error = caught(() => buildDelivery({ provider: 'github', sample }));
    expect(error).toBeInstanceOf(InvalidSampleError);
    expect(error.message).toContain(text);
    expect(error.why).toBeTruthy();
    expect(error.exitCode).toBe(ExitCode.usage);
  });

  it('a URL with credentials is refused without repeating them', () => {
    const error = caught(() =>
      buildDelivery({ provider: 'github', sample: { repositoryUrl: 'https://x:tok3n@github.com/a/b' } }),
    );
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('tok3n');
  });
});
