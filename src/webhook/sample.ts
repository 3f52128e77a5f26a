/**
 * The few facts a sample body is made of (repository, ref, commit, sender), checked and filled with fixed
 * defaults so the same options always give the same bytes.
 */
import { InvalidSampleError } from './errors.ts';

export interface SampleOptions {
  /** The repository's clone URL, e.g. https://github.com/example/app.git. */
  repositoryUrl?: string;
  /** A full ref (refs/heads/main) or a bare branch or tag name. */
  ref?: string;
  /** The commit the ref points at: 40 (or 64) hex digits. */
  sha?: string;
  /** Who pushed or opened the change. */
  sender?: string;
}

export interface SampleRepository {
  /** https://github.com/example/app.git */
  cloneUrl: string;
  /** https://github.com/example/app */
  htmlUrl: string;
  /** https://github.com */
  origin: string;
  /** github.com */
  host: string;
  /** example/app (GitLab: the full path with subgroups) */
  path: string;
  /** example */
  owner: string;
  /** app */
  name: string;
}

export interface Sample {
  repository: SampleRepository;
  /** refs/heads/main */
  ref: string;
  /** main: the branch or tag name without refs/heads/ or refs/tags/ */
  refName: string;
  sha: string;
  /** The commit the ref pointed at before: fixed, so a push looks like an update, not a new branch. */
  before: string;
  sender: string;
  /** Fixed: samples are byte-for-byte reproducible. */
  timestamp: string;
}

export const SAMPLE_DEFAULTS = {
  sha: '5d4c1e0a9b3f27e86a1d0c4b7f9e2a3c8b6d1f04',
  before: '0b9e4f2d7c1a8e36f5a0d9c2b4e7f1a3c6d8e2b9',
  sender: 'example-user',
  timestamp: '2025-01-15T09:30:00Z',
} as const;

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Letters, digits and . _ - / only, in segments: what a ref name needs, nothing that could surprise a template. */
const REF = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
/** GitHub logins, GitLab usernames, Bitbucket nicknames, and bots like dependabot[bot]. */
const SENDER = /^[A-Za-z0-9][A-Za-z0-9._[\]-]{0,63}$/;

/** The sample for `options`, with `defaults` for what they leave out. Throws InvalidSampleError. */
export function resolveSample(
  options: SampleOptions,
  defaults: { repositoryUrl: string; ref: string },
): Sample {
  const ref = fullRef(options.ref ?? defaults.ref, defaults.ref);
  return {
    repository: parseRepositoryUrl(options.repositoryUrl ?? defaults.repositoryUrl),
    ref,
    refName: ref.replace(/^refs\/(?:heads|tags)\//, ''),
    sha: checkSha(options.sha ?? SAMPLE_DEFAULTS.sha),
    before: SAMPLE_DEFAULTS.before,
    sender: checkSender(options.sender ?? SAMPLE_DEFAULTS.sender),
    timestamp: SAMPLE_DEFAULTS.timestamp,
  };
}

export function hasSampleOptions(options: SampleOptions | undefined): boolean {
  return options !== undefined && Object.values(options).some((value) => value !== undefined);
}

function parseRepositoryUrl(text: string): SampleRepository {
  const hint = 'a repository URL is an http(s) clone URL such as https://github.com/example/app.git';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidSampleError(`the repository URL ${JSON.stringify(text)} is not a URL`, hint);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidSampleError(`the repository URL must use https or http, not ${url.protocol}`, hint);
  }
  // Deliveries never carry credentials, and a token in the URL would end up in the sample body.
  if (url.username !== '' || url.password !== '') {
    throw new InvalidSampleError('the repository URL must not contain a user name or password', hint);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidSampleError('the repository URL must not have a query or fragment', hint);
  }
  const segments = url.pathname
    .replace(/\.git\/?$/, '')
    .split('/')
    .filter((segment) => segment !== '');
  if (segments.length < 2 || !segments.every((segment) => REF.test(segment))) {
    throw new InvalidSampleError(
      `the repository URL ${JSON.stringify(text)} does not name an owner and a repository`,
      hint,
    );
  }
  const path = segments.join('/');
  return {
    cloneUrl: `${url.origin}/${path}.git`,
    htmlUrl: `${url.origin}/${path}`,
    origin: url.origin,
    host: url.host,
    path,
    owner: segments.slice(0, -1).join('/'),
    name: segments.at(-1) as string,
  };
}

/** A bare name becomes a branch, or a tag when the event's default ref is a tag. */
function fullRef(ref: string, defaultRef: string): string {
  const hint = 'a ref is refs/heads/<branch>, refs/tags/<tag>, or a bare branch or tag name like main';
  if (!REF.test(ref) || ref.includes('..') || ref.endsWith('.lock')) {
    throw new InvalidSampleError(`invalid ref ${JSON.stringify(ref)}`, hint);
  }
  if (ref.startsWith('refs/')) return ref;
  return `${defaultRef.startsWith('refs/tags/') ? 'refs/tags/' : 'refs/heads/'}${ref}`;
}

function checkSha(sha: string): string {
  const lower = sha.toLowerCase();
  if (!SHA.test(lower)) {
    throw new InvalidSampleError(
      `invalid commit sha ${JSON.stringify(sha)}`,
      'a commit sha is the full 40 hex digits (64 for SHA-256 repositories), as `git rev-parse HEAD` prints it',
    );
  }
  return lower;
}

function checkSender(sender: string): string {
  if (!SENDER.test(sender)) {
    throw new InvalidSampleError(
      `invalid sender ${JSON.stringify(sender)}`,
      'a sender is a user name of letters, digits and . _ - (up to 64), e.g. octocat',
    );
  }
  return sender;
}
