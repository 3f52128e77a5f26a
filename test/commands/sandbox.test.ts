import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT, runExecutable } from '../support/cli.ts';
import { findHaproxy } from '../support/haproxy.ts';

it('the README main job installs the gateway, routes to the echo backend and sends webhooks through it', async () => {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const result = await runExecutable(tsx, [join(REPO_ROOT, 'test', 'support', 'sandbox.ts'), '--once']);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stdout).toContain('$ kubectl trigger-gateway install --with-echo');
  expect(result.stdout).toContain('Ready: deployment trigger-gateway/trigger-gateway 2/2 pods.');
  expect(result.stdout).toContain('Ready: deployment trigger/httpecho 1/1 pods.');
  expect(result.stdout).toMatch(/deployment\.apps\/trigger-gateway\s+2\/2\s+2\s+2/);
  expect(result.stdout).toMatch(/pod\/httpecho-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running/);
  expect(result.stdout).toMatch(/^\/github\s+httpecho\.trigger:80 \(prefix stripped\)\s+tool\s+exists$/m);
  if (findHaproxy() || process.env.CI) {
    expect(result.stdout).toContain('POST /trigger/push through the gateway (real HAProxy): 200');
    expect(result.stdout).toMatch(
      /POST \/github\/push through the gateway \(real HAProxy\): 200\n\{"path":"\/push"/,
    );
    expect(result.stdout).toContain('POST /unknown through the gateway (real HAProxy): 404');
  }
});
