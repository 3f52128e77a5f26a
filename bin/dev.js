#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly, without a build: `bin/dev.js install --dry-run`.
import { runCli } from '../src/cli.ts';

await runCli(import.meta.url, process.argv.slice(2), { development: true });
