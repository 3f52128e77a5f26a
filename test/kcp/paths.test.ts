import { describe, expect, it } from 'vitest';
import {
  isWorkspacePath,
  parseWorkspaceType,
  parseWorkspaceUrl,
  resolveWorkspacePath,
  sameWorkspaceType,
  WorkspacePathError,
  workspaceNameProblem,
} from '../../src/kcp/paths.ts';

describe('parseWorkspaceUrl', () => {
  it('splits a workspace URL into the kcp base and the workspace path', () => {
    expect(parseWorkspaceUrl('https://kcp.example.com:6443/clusters/root:org:infra')).toEqual({
      base: 'https://kcp.example.com:6443',
      path: 'root:org:infra',
    });
  });

  it('keeps a base path in front of /clusters/', () => {
    expect(parseWorkspaceUrl('https://example.com/kcp/clusters/root/')).toEqual({
      base: 'https://example.com/kcp',
      path: 'root',
    });
  });

  it('finds no workspace in a plain cluster URL or a malformed path', () => {
    expect(parseWorkspaceUrl('https://10.0.0.1:6443')).toBeUndefined();
    expect(parseWorkspaceUrl('https://kcp/clusters/Root:Org')).toBeUndefined();
    expect(parseWorkspaceUrl('https://kcp/clusters/')).toBeUndefined();
    expect(parseWorkspaceUrl('not a url')).toBeUndefined();
  });
});

describe('resolveWorkspacePath', () => {
  it('resolves names like cd does', () => {
    expect(resolveWorkspacePath('root:org', 'infra')).toBe('root:org:infra');
    expect(resolveWorkspacePath('root:org', 'team:infra')).toBe('root:org:team:infra');
    expect(resolveWorkspacePath('root:org:infra', '..')).toBe('root:org');
    expect(resolveWorkspacePath('root:org:infra', '..:other')).toBe('root:org:other');
    expect(resolveWorkspacePath('root:org:infra', '../other')).toBe('root:org:other');
    expect(resolveWorkspacePath('root:org', '.')).toBe('root:org');
  });

  it('takes absolute paths with a leading colon, and the old root:… form', () => {
    expect(resolveWorkspacePath('root:org', ':root:other')).toBe('root:other');
    expect(resolveWorkspacePath('root:org', 'root:other')).toBe('root:other');
    expect(resolveWorkspacePath(undefined, ':root:org')).toBe('root:org');
  });

  it('goes to the root with a lone colon', () => {
    expect(resolveWorkspacePath('root:org:infra', ':')).toBe('root');
  });

  it('refuses to climb above the root, relative names without a current workspace, and bad names', () => {
    expect(() => resolveWorkspacePath('root', '..')).toThrow(/cannot go up from root/);
    expect(() => resolveWorkspacePath(undefined, 'infra')).toThrow(WorkspacePathError);
    expect(() => resolveWorkspacePath('root:org', 'Infra')).toThrow(/not a workspace path/);
    expect(() => resolveWorkspacePath('root:org', 'in fra')).toThrow(/not a workspace path/);
    expect(() => resolveWorkspacePath('root:org', '')).toThrow(/no workspace given/);
  });
});

describe('workspace names and types', () => {
  it('accepts what kcp accepts as a name', () => {
    expect(workspaceNameProblem('infra')).toBeUndefined();
    expect(workspaceNameProblem('a')).toBeUndefined();
    expect(workspaceNameProblem(`a${'b'.repeat(62)}`)).toBeUndefined();
  });

  it('names the problem with any other name', () => {
    expect(workspaceNameProblem('1infra')).toMatch(/starting with a letter/);
    expect(workspaceNameProblem('Infra')).toMatch(/lowercase/);
    expect(workspaceNameProblem('infra-')).toMatch(/ending with a letter or digit/);
    expect(workspaceNameProblem(`a${'b'.repeat(63)}`)).toMatch(/1 to 63/);
    expect(workspaceNameProblem('system')).toMatch(/reserved/);
    expect(workspaceNameProblem('root:infra')).toBeDefined();
  });

  it('parses --type as a name or a path and name', () => {
    expect(parseWorkspaceType('universal')).toEqual({ name: 'universal' });
    expect(parseWorkspaceType('root:Universal')).toEqual({ name: 'universal', path: 'root' });
    expect(parseWorkspaceType('root:org:team')).toEqual({ name: 'team', path: 'root:org' });
    expect(() => parseWorkspaceType('root:')).toThrow(/not a workspace type/);
    expect(() => parseWorkspaceType('a b')).toThrow(/not a workspace type/);
  });

  it('matches an existing type by name alone, or by name and path when a path is given', () => {
    const existing = { name: 'universal', path: 'root' };
    expect(sameWorkspaceType(existing, { name: 'universal' })).toBe(true);
    expect(sameWorkspaceType(existing, { name: 'universal', path: 'root' })).toBe(true);
    expect(sameWorkspaceType(existing, { name: 'universal', path: 'root:org' })).toBe(false);
    expect(sameWorkspaceType(existing, { name: 'team' })).toBe(false);
  });

  it('validates paths segment by segment', () => {
    expect(isWorkspacePath('root:org-1:a')).toBe(true);
    expect(isWorkspacePath('root::org')).toBe(false);
    expect(isWorkspacePath('root:-org')).toBe(false);
  });
});
