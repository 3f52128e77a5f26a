/**
 * vitest globalSetup of the real-kcp project of vitest.real.config.ts: builds and starts ONE real
 * kcp for the run, prepares root:org and the compute provider root:compute (kcp-provider.ts), and
 * hands the suites its URL, CA and tokens through provide/inject ('realKcp'); the teardown stops it.
 */
import type { TestProject } from 'vitest/node';
import type { ProvidedRealKcp } from '../support/kcp-planes.ts';
import { buildKcpBinaries } from './binaries.ts';
import { prepareKcpForTheGateway } from './kcp-provider.ts';
import { startRealKcp } from './kcp-server.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[real kcp] ${line}\n`);
  const binaries = await buildKcpBinaries({ log });
  log(`go build: ${binaries.seconds.toFixed(1)}s`);
  const started = performance.now();
  const kcp = await startRealKcp({ binaries, log });
  try {
    await prepareKcpForTheGateway(kcp);
  } catch (error) {
    await kcp.stop();
    throw error;
  }
  log(`started and prepared in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  const provided: ProvidedRealKcp = { url: kcp.url, ca: kcp.ca, tokens: kcp.tokens };
  project.provide('realKcp', provided);
  return () => kcp.stop();
}
