/** Where the webhook commands take a provider's token from, and the error when there is none. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { forgeToken } from '../../src/forge/credentials.ts';

const none = () => undefined;

describe('forgeToken', () => {
  it('reads GITHUB_TOKEN, then GH_TOKEN, then what gh auth token prints for the API host', () => {
    expect(
      forgeToken('github', 'https://api.github.com', {
        env: { GITHUB_TOKEN: 'a', GH_TOKEN: 'b' },
        ghAuthToken: none,
      }),
    ).toEqual({
      value: 'a',
      source: 'GITHUB_TOKEN',
    });
    expect(
      forgeToken('github', 'https://api.github.com', { env: { GH_TOKEN: 'b' }, ghAuthToken: none }),
    ).toEqual({
      value: 'b',
      source: 'GH_TOKEN',
    });
    const hosts: string[] = [];
    const gh = (host: string) => {
      hosts.push(host);
      return 'from-gh';
    };
    expect(forgeToken('github', 'https://api.github.com', { env: {}, ghAuthToken: gh }).source).toBe(
      'gh auth token',
    );
    forgeToken('github', 'https://ghe.example.com/api/v3', { env: {}, ghAuthToken: gh });
    expect(hosts).toEqual(['github.com', 'ghe.example.com']);
  });

  it('reads GITLAB_TOKEN and GITEA_TOKEN, and never asks gh for them', () => {
    const gh = () => {
      throw new Error('gh must not be asked');
    };
    expect(
      forgeToken('gitlab', 'https://gitlab.com/api/v4', { env: { GITLAB_TOKEN: 'g' }, ghAuthToken: gh })
        .value,
    ).toBe('g');
    expect(
      forgeToken('gitea', 'https://gitea.example.com/api/v1', { env: { GITEA_TOKEN: 't' }, ghAuthToken: gh })
        .value,
    ).toBe('t');
  });

  it('without a token, exits 3 naming the variable and how to get a token with the right scope', () => {
    let error: unknown;
    try {
      forgeToken('gitea', 'https://gitea.example.com/api/v1', {
        env: { GITEA_TOKEN: ' ' },
        ghAuthToken: none,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ exitCode: 3, message: 'no Gitea token: GITEA_TOKEN is not set' });
    expect((error as GatewayError).next.join('\n')).toContain('write:repository');
  });
});
