#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly, without a build: `bin/dev.js install --dry-run`.
// oclif maps dist/commands back to src/commands in development.
process.env.NODE_ENV = 'development';
const { runCli } = await import('../src/cli.ts');
await runCli(import.meta.url, process.argv.slice(2));
