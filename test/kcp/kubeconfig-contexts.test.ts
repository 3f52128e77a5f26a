import { describe, expect, it } from 'vitest';
import {
  CURRENT_CONTEXT,
  enterWorkspace,
  mergedView,
  PREVIOUS_CONTEXT,
  type RawKubeconfig,
  returnToPrevious,
} from '../../src/kcp/kubeconfig-contexts.ts';

const BASE = 'https://kcp.example.com:6443';

function startingConfig(): RawKubeconfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: { colors: true },
    clusters: [
      { name: 'kcp', cluster: { server: `${BASE}/clusters/root:org`, 'certificate-authority-data': 'Q0E=' } },
      { name: 'prod', cluster: { server: 'https://prod:6443' } },
    ],
    users: [{ name: 'me', user: { token: 'secret' } }],
    contexts: [
      { name: 'kcp', context: { cluster: 'kcp', user: 'me', namespace: 'ci' } },
      { name: 'prod', context: { cluster: 'prod', user: 'me' } },
    ],
    'current-context': 'kcp',
    extensions: [{ name: 'x', extension: { keep: 'me' } }],
  };
}

const serverOf = (config: RawKubeconfig, context: string) => {
  const cluster = config.contexts?.find((c) => c.name === context)?.context?.cluster;
  return config.clusters?.find((c) => c.name === cluster)?.cluster?.server;
};

function enter(config: RawKubeconfig, path: string): RawKubeconfig {
  enterWorkspace(config, mergedView([config]), config['current-context'] ?? '', `${BASE}/clusters/${path}`);
  return config;
}

describe('entering a workspace', () => {
  it('points workspace.kcp.io/current at the workspace with the same user, namespace and CA', () => {
    const config = enter(startingConfig(), 'root:org:infra');
    expect(config['current-context']).toBe(CURRENT_CONTEXT);
    expect(config.contexts?.find((c) => c.name === CURRENT_CONTEXT)?.context).toEqual({
      cluster: CURRENT_CONTEXT,
      user: 'me',
      namespace: 'ci',
    });
    expect(config.clusters?.find((c) => c.name === CURRENT_CONTEXT)?.cluster).toEqual({
      server: `${BASE}/clusters/root:org:infra`,
      'certificate-authority-data': 'Q0E=',
    });
    expect(config.contexts?.find((c) => c.name === PREVIOUS_CONTEXT)?.context).toEqual({
      cluster: 'kcp',
      user: 'me',
      namespace: 'ci',
    });
  });

  it('leaves every other entry as it was', () => {
    const before = startingConfig();
    const after = enter(startingConfig(), 'root:org:infra');
    const others = (config: RawKubeconfig) => ({
      ...config,
      'current-context': undefined,
      clusters: config.clusters?.filter((c) => !c.name.startsWith('workspace.kcp.io/')),
      contexts: config.contexts?.filter((c) => !c.name.startsWith('workspace.kcp.io/')),
    });
    expect(others(after)).toEqual(others(before));
  });

  it('keeps the workspace it left as workspace.kcp.io/previous when moving on from a workspace', () => {
    const config = enter(enter(startingConfig(), 'root:org:infra'), 'root:org:infra:team');
    expect(serverOf(config, CURRENT_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra:team`);
    expect(serverOf(config, PREVIOUS_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra`);
    expect(config.contexts?.filter((c) => c.name.startsWith('workspace.kcp.io/'))).toHaveLength(2);
    expect(config.clusters?.filter((c) => c.name.startsWith('workspace.kcp.io/'))).toHaveLength(2);
  });

  it('names a context that is not there', () => {
    const config = startingConfig();
    expect(() => enterWorkspace(config, mergedView([config]), 'nope', `${BASE}/clusters/root`)).toThrow(
      /context "nope" is not in the kubeconfig/,
    );
  });
});

describe('going back with -', () => {
  it('swaps current and previous, there and back again', () => {
    const config = enter(enter(startingConfig(), 'root:org:infra'), 'root:org:infra:team');
    returnToPrevious(config, mergedView([config]), CURRENT_CONTEXT);
    expect(serverOf(config, CURRENT_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra`);
    expect(serverOf(config, PREVIOUS_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra:team`);
    returnToPrevious(config, mergedView([config]), CURRENT_CONTEXT);
    expect(serverOf(config, CURRENT_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra:team`);
    expect(serverOf(config, PREVIOUS_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra`);
  });

  it('returns to the original context after the first switch', () => {
    const config = enter(startingConfig(), 'root:org:infra');
    const server = returnToPrevious(config, mergedView([config]), CURRENT_CONTEXT);
    expect(server).toBe(`${BASE}/clusters/root:org`);
    expect(config.contexts?.find((c) => c.name === CURRENT_CONTEXT)?.context?.cluster).toBe('kcp');
    expect(serverOf(config, PREVIOUS_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra`);
  });

  it('says so when there is nowhere to go back to', () => {
    const config = startingConfig();
    expect(() => returnToPrevious(config, mergedView([config]), 'kcp')).toThrow(/no previous workspace/);
  });
});

describe('several kubeconfig files', () => {
  it('finds the context in a later file and writes only to the first', () => {
    const first: RawKubeconfig = { apiVersion: 'v1', kind: 'Config', 'current-context': 'kcp' };
    const second = startingConfig();
    const secondBefore = structuredClone(second);
    enterWorkspace(first, mergedView([first, second]), 'kcp', `${BASE}/clusters/root:org:infra`);
    expect(second).toEqual(secondBefore);
    expect(first.contexts?.map((c) => c.name)).toEqual([CURRENT_CONTEXT, PREVIOUS_CONTEXT]);
    expect(serverOf(first, CURRENT_CONTEXT)).toBe(`${BASE}/clusters/root:org:infra`);
  });
});
