import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // test/real/ runs on its own real control plane: npm run test:real (vitest.real.config.ts).
    exclude: ['test/bench/**', 'test/real/**', 'node_modules/**'],
    // oclif writes straight to process.stdout; vitest must not swallow it.
    disableConsoleIntercept: true,
    env: { FORCE_COLOR: '0', NO_COLOR: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/run-temp-dir.ts'],
  },
});
