/**
 * `status --watch` and the informer under it, on each control plane of the run: changes arrive
 * through watches without re-running, also after the server has ended a watch (its timeoutSeconds)
 * and after it answered that a resourceVersion is too old (410 Gone).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import { KubeClient, type ListOptions } from '../../src/kube/client.ts';
import { runInformer } from '../../src/kube/informer.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { pluginPath, runCommand, runExecutable } from '../support/cli.ts';
import { type ClusterUnderTest, controlPlanes, freshNamespace } from '../support/clusters.ts';

/** A client whose watches the server ends after a second, and whose first list can be made stale. */
class ShortWatches extends KubeClient {
  watches = 0;
  /** Watches the server answered with 410 Gone. */
  gone = 0;
  staleFirstList = false;

  override async listVersioned<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const listed = await super.listVersioned<T>(apiVersion, kind, options);
    if (!this.staleFirstList) return listed;
    this.staleFirstList = false;
    // A list older than the compacted history: as if the server had compacted between list and watch.
    return { ...listed, resourceVersion: '1' };
  }

  override async watch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions & { resourceVersion: string; timeoutSeconds: number },
    signal: AbortSignal,
  ) {
    this.watches += 1;
    const events = await super.watch<T>(apiVersion, kind, { ...options, timeoutSeconds: 1 }, signal);
    const countGone = () => (this.gone += 1);
    return (async function* () {
      for await (const event of events) {
        if (event.type === 'ERROR' && (event.object as { code?: number }).code === 410) countGone();
        yield event;
      }
    })();
  }
}

describe.each(controlPlanes())('watching on the $name control plane', (row) => {
  let cluster: ClusterUnderTest;

  beforeAll(async () => {
    cluster = await row.connect();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: cluster.kubeconfig });

  /** Follows the `kind` objects of `namespace` with the informer until the returned stop is called. */
  function follow(kube: KubeClient, namespace: string, kind = 'ConfigMap') {
    const seen = new Set<string>();
    const errors: unknown[] = [];
    const stop = new AbortController();
    const done = runInformer(
      kube,
      { apiVersion: 'v1', kind, namespace },
      (objects) => {
        for (const object of objects) seen.add(object.metadata.name);
      },
      (error) => errors.push(error),
      stop.signal,
    );
    return { seen, errors, stop: () => (stop.abort(), done) };
  }

  it('keeps following after the server ends its watches', async () => {
    const ns = freshNamespace('tg-watch-end');
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    const kube = new ShortWatches(cluster.kube.target);
    const informer = follow(kube, ns);
    try {
      await vi.waitFor(() => expect(kube.watches).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
      expect((await kubectl('create', 'configmap', 'after-ended-watches', '-n', ns)).exitCode).toBe(0);
      await vi.waitFor(() => expect(informer.seen.has('after-ended-watches')).toBe(true), {
        timeout: 20_000,
      });
      expect(informer.errors).toEqual([]);
    } finally {
      await informer.stop();
      await kube.close();
    }
  });

  it('lists again when the server says the resourceVersion is too old (410 Gone)', async () => {
    // Secrets: the real API server watches them without its watch cache (see test/real/environment.ts),
    // so a compacted resourceVersion is answered from etcd with 410, as the local control plane does.
    const ns = freshNamespace('tg-watch-gone');
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    expect((await kubectl('create', 'secret', 'generic', 'before', '-n', ns)).exitCode).toBe(0);
    await cluster.compact();
    const kube = new ShortWatches(cluster.kube.target);
    kube.staleFirstList = true;
    const informer = follow(kube, ns, 'Secret');
    try {
      await vi.waitFor(() => expect(kube.gone).toBe(1), { timeout: 20_000 });
      expect((await kubectl('create', 'secret', 'generic', 'after-gone', '-n', ns)).exitCode).toBe(0);
      await vi.waitFor(() => expect(informer.seen.has('after-gone')).toBe(true), { timeout: 20_000 });
      expect(informer.seen.has('before')).toBe(true);
      expect(informer.errors).toEqual([]);
    } finally {
      await informer.stop();
      await kube.close();
    }
  });

  it('status --watch prints the gateway, then a line for a route added meanwhile', async () => {
    const ns = freshNamespace('tg-watch-status');
    const installed = await runCommand(Install, ['--kubeconfig', cluster.kubeconfig, '-n', ns]);
    expect(installed.exitCode, installed.stderr).toBe(0);
    const child = spawn(
      join(pluginPath().split(':')[0] ?? '', 'kubectl-trigger_gateway'),
      ['status', '--watch', '-n', ns],
      {
        env: {
          PATH: pluginPath(),
          HOME: mkdtempSync(join(tmpdir(), 'tg-home-')),
          KUBECONFIG: cluster.kubeconfig,
          NO_COLOR: '1',
        },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await vi.waitFor(() => expect(output).toMatch(/pod trigger-gateway-\S+ 1\/1 Running/), {
        timeout: 30_000,
      });
      const added = await runCommand(RouteAdd, [
        '--kubeconfig',
        cluster.kubeconfig,
        '-n',
        ns,
        '/watched',
        'el-watched.ci:8080',
        '--no-wait',
      ]);
      expect(added.exitCode, added.stderr).toBe(0);
      await vi.waitFor(() => expect(output).toMatch(/route \/watched → el-watched\.ci:8080/), {
        timeout: 30_000,
      });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
