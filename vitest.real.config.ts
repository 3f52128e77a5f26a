import { defineConfig } from 'vitest/config';

// The suites that run against the real control plane (test/real/, and test/clusters/, which the fast
// run runs on the local control plane): one shared instance per run,
// started by the global setup (root, Go and iproute2 needed; see the README).
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts', 'test/clusters/**/*.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['test/real/global-setup.ts'],
    disableConsoleIntercept: true,
    env: { FORCE_COLOR: '0', NO_COLOR: '1' },
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
