import { defineConfig } from 'vitest/config';

const shared = {
  disableConsoleIntercept: true,
  env: { FORCE_COLOR: '0', NO_COLOR: '1' },
  testTimeout: 180_000,
  hookTimeout: 300_000,
  pool: 'forks' as const,
};
// First, so that its teardown, which removes the run's temporary folder, runs after the servers stop.
const RUN_TEMP_DIR = 'test/support/run-temp-dir.ts';

// The suites that run on real servers built with Go (root, Go and iproute2 needed; see the README).
// real: test/real/ and test/clusters/ (which the fast run runs on the local control plane), on one
// shared real Kubernetes control plane with Tekton Triggers, and one real Gitea outside it that sends
// webhooks to it. real-kcp: the kcp suites of test/clusters/ (the fast run runs them on the local kcp
// imitation), on one shared real kcp. Each project's global setup starts its servers once per run;
// `--project real-kcp` runs only the kcp one. krew: the release installed by the real krew (it needs
// no server of these, only the local control plane).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'real',
          include: ['test/real/**/*.test.ts', 'test/clusters/**/*.test.ts'],
          exclude: [
            'node_modules/**',
            'test/clusters/kcp-*.test.ts',
            'test/real/kcp-*.test.ts',
            'test/real/krew-install.test.ts',
          ],
          globalSetup: [RUN_TEMP_DIR, 'test/real/global-setup.ts', 'test/real/gitea-global-setup.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'real-kcp',
          include: ['test/clusters/kcp-*.test.ts', 'test/real/kcp-*.test.ts'],
          exclude: ['node_modules/**'],
          globalSetup: [RUN_TEMP_DIR, 'test/real/kcp-global-setup.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'krew',
          include: ['test/real/krew-install.test.ts'],
          exclude: ['node_modules/**'],
          globalSetup: [RUN_TEMP_DIR],
        },
      },
    ],
  },
});
