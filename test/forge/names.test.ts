/**
 * What the webhook commands make of their flags before anything is sent: the repository, the API URL,
 * the events in each provider's spelling, the hook URL of a route, and the Link headers of lists.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { hookUrlFor, routeOfHookUrl, sameHookUrl } from '../../src/forge/hook-url.ts';
import {
  hookEventsFor,
  parseEvents,
  parseRepository,
  resolveApiUrl,
  storedEvents,
} from '../../src/forge/index.ts';
import { linkTarget } from '../../src/forge/link.ts';

const usage = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).exitCode).toBe(2);
    return (error as GatewayError).message;
  }
  throw new Error('no error');
};

describe('parseRepository', () => {
  it('takes OWNER/REPO, and GitLab groups nested in the owner', () => {
    expect(parseRepository('github', 'octo-org/app')).toEqual({ owner: 'octo-org', name: 'app' });
    expect(parseRepository('gitlab', 'team/backend/app')).toEqual({ owner: 'team/backend', name: 'app' });
  });

  it.each([
    ['github', 'app'],
    ['github', 'a/b/c'],
    ['gitea', 'own er/app'],
    ['github', 'o/a?x=1'],
  ] as const)('refuses %s --repo %s with exit 2', (provider, text) => {
    expect(usage(() => parseRepository(provider, text))).toContain(`--repo ${text} is not OWNER/REPO`);
  });
});

describe('resolveApiUrl', () => {
  it.each([
    ['github', undefined, 'https://api.github.com'],
    ['github', 'https://api.github.com/', 'https://api.github.com'],
    ['github', 'https://ghe.example.com', 'https://ghe.example.com/api/v3'],
    ['github', 'https://ghe.example.com/api/v3/', 'https://ghe.example.com/api/v3'],
    ['gitlab', undefined, 'https://gitlab.com/api/v4'],
    ['gitlab', 'https://gitlab.example.com', 'https://gitlab.example.com/api/v4'],
    ['gitea', 'https://gitea.example.com', 'https://gitea.example.com/api/v1'],
    ['gitea', 'http://127.0.0.1:3000/git/api/v1', 'http://127.0.0.1:3000/git/api/v1'],
  ] as const)('%s --api-url %s is %s', (provider, given, expected) => {
    expect(resolveApiUrl(provider, given)).toBe(expected);
  });

  it('needs --api-url for Gitea, and refuses what is no http(s) URL or carries credentials', () => {
    expect(usage(() => resolveApiUrl('gitea', undefined))).toContain('--api-url is needed for Gitea');
    expect(usage(() => resolveApiUrl('gitlab', 'gitlab.example.com'))).toContain('is not a URL');
    expect(usage(() => resolveApiUrl('gitlab', 'ftp://gitlab.example.com'))).toContain(
      'is not an http(s) URL',
    );
    expect(usage(() => resolveApiUrl('github', 'https://me:token@ghe.example.com'))).toContain('credentials');
  });
});

describe('parseEvents', () => {
  it("keeps GitHub's and Gitea's names, without repeats", () => {
    expect(parseEvents('github', 'push, pull_request,push')).toEqual(['push', 'pull_request']);
    expect(parseEvents('gitea', 'push,pull_request_sync')).toEqual(['push', 'pull_request_sync']);
  });

  it("names GitLab's events as X-Gitlab-Event does, from that name, the short one or the hook's flag", () => {
    expect(parseEvents('gitlab', 'Push Hook,merge_request,tag_push_events,note hook')).toEqual([
      'Push Hook',
      'Merge Request Hook',
      'Tag Push Hook',
      'Note Hook',
    ]);
  });

  it.each([
    ['github', 'Push'],
    ['gitea', 'pull_requests'],
    ['gitlab', 'Pull Request Hook'],
    ['github', ' , '],
  ] as const)('refuses %s --events %s with exit 2, naming the events there are', (provider, text) => {
    expect(usage(() => parseEvents(provider, text))).toMatch(/--events/);
  });
});

describe("an interceptor's event types as each provider's hook events", () => {
  it('GitHub: the same names', () => {
    expect(hookEventsFor('github', ['push', 'pull_request'])).toEqual({
      events: ['push', 'pull_request'],
      unmatched: [],
    });
  });

  it('GitLab: the X-Gitlab-Event names, which are its hook flags', () => {
    expect(hookEventsFor('gitlab', ['Push Hook', 'Merge Request Hook', 'System Hook'])).toEqual({
      events: ['Push Hook', 'Merge Request Hook'],
      unmatched: ['System Hook'],
    });
  });

  it("Gitea: every hook event whose X-GitHub-Event is one of them, the group names' own event alone", () => {
    expect(hookEventsFor('gitea', ['push', 'pull_request', 'check_run'])).toEqual({
      events: [
        'push',
        'pull_request_only',
        'pull_request_assign',
        'pull_request_label',
        'pull_request_milestone',
        'pull_request_review_request',
        'pull_request_sync',
      ],
      unmatched: ['check_run'],
    });
    expect(hookEventsFor('gitea', ['issue_comment']).events).toEqual([
      'issue_comment',
      'pull_request_comment',
    ]);
  });

  it('Gitea reports a group by its members and an event subscribed alone by its own name', () => {
    expect(storedEvents('gitea', hookEventsFor('gitea', ['push', 'pull_request']).events).sort()).toEqual(
      [
        'pull_request',
        'pull_request_assign',
        'pull_request_label',
        'pull_request_milestone',
        'pull_request_review_request',
        'pull_request_sync',
        'push',
      ].sort(),
    );
    expect(storedEvents('gitea', ['issues'])).toEqual([
      'issues',
      'issue_assign',
      'issue_label',
      'issue_milestone',
      'issue_comment',
    ]);
    expect(storedEvents('github', ['pull_request'])).toEqual(['pull_request']);
  });
});

describe('hook URLs', () => {
  it("is the gateway's base plus the route, a base path kept", () => {
    expect(hookUrlFor('https://hooks.example.com/', '/github')).toBe('https://hooks.example.com/github');
    expect(hookUrlFor('https://example.com/ci/', '/github')).toBe('https://example.com/ci/github');
    expect(hookUrlFor('http://10.245.0.7:8080', '/trigger')).toBe('http://10.245.0.7:8080/trigger');
  });

  it('finds the route of a hook under the base, and nothing for one elsewhere', () => {
    expect(routeOfHookUrl('https://example.com/ci/', 'https://example.com/ci/github/x')).toBe('/github/x');
    expect(routeOfHookUrl('https://example.com/ci/', 'https://example.com/cid/github')).toBeUndefined();
    expect(routeOfHookUrl('https://hooks.example.com/', 'https://other.example.com/github')).toBeUndefined();
    expect(routeOfHookUrl('https://hooks.example.com/', 'not a url')).toBeUndefined();
  });

  it('compares hook URLs as providers do, a trailing slash aside', () => {
    expect(sameHookUrl('https://hooks.example.com/github/', 'https://hooks.example.com/github')).toBe(true);
    expect(sameHookUrl('https://HOOKS.example.com/github', 'https://hooks.example.com/github')).toBe(true);
    expect(sameHookUrl('https://hooks.example.com/github', 'https://hooks.example.com/gitlab')).toBe(false);
  });
});

describe('linkTarget', () => {
  it('reads rel="next" among the links GitHub and GitLab send', () => {
    const header =
      '<https://api.github.com/repositories/1/hooks?page=3&per_page=100>; rel="next", <https://api.github.com/repositories/1/hooks?page=5&per_page=100>; rel="last"';
    expect(linkTarget(header, 'next')).toBe(
      'https://api.github.com/repositories/1/hooks?page=3&per_page=100',
    );
    expect(linkTarget(header, 'prev')).toBeUndefined();
    expect(linkTarget(undefined, 'next')).toBeUndefined();
  });
});
