/**
 * vitest globalSetup of the real project of vitest.real.config.ts: builds and starts ONE real
 * Gitea for the run (gitea-server.ts) and hands the suites its URL, database and admin through
 * provide/inject ('realGitea'); the teardown stops it. Where the control plane has Traefik, Gitea
 * sends webhooks for names under HOOK_DOMAIN through a proxy that resolves them to Traefik's address:
 * a suite gives its gateway's Ingress such a host, and Traefik routes Gitea's pushes to it by name,
 * whatever other suites' gateways take.
 */
import type { TestProject } from 'vitest/node';
import { startProxy } from '../support/proxy.ts';
import { buildGiteaBinaries } from './binaries.ts';
import { startRealGitea } from './gitea-server.ts';

/** The names only Gitea's webhook proxy resolves (.test is reserved: no DNS has it). */
const HOOK_DOMAIN = 'gitea-hooks.test';

export interface ProvidedRealGitea {
  /** http://127.0.0.1:PORT, what --api-url takes. */
  url: string;
  apiUrl: string;
  /** Gitea's sqlite database: its own record of each delivery is in hook_task. */
  database: string;
  admin: { username: string; password: string; token: string };
  /** Gateways' Ingress hosts under this domain reach Traefik from Gitea (when the control plane has it). */
  hookDomain?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    realGitea: ProvidedRealGitea;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[real gitea] ${line}\n`);
  const binaries = await buildGiteaBinaries({ log });
  log(`go build: ${binaries.seconds.toFixed(1)}s`);
  const ingress = project.getProvidedContext().realControlPlane?.ingressAddress;
  const proxy = ingress
    ? await startProxy({ hosts: (host) => (host.endsWith(`.${HOOK_DOMAIN}`) ? ingress : undefined) })
    : undefined;
  const gitea = await startRealGitea({
    binaries,
    log,
    ...(proxy ? { webhookProxy: { url: proxy.url, hosts: `*.${HOOK_DOMAIN}` } } : {}),
  }).catch(async (error: unknown) => {
    await proxy?.stop();
    throw error;
  });
  project.provide('realGitea', {
    url: gitea.url,
    apiUrl: gitea.apiUrl,
    database: gitea.database,
    admin: gitea.admin,
    ...(proxy ? { hookDomain: HOOK_DOMAIN } : {}),
  });
  return async () => {
    await gitea.stop();
    await proxy?.stop();
  };
}
