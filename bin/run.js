#!/usr/bin/env node
// Checked before anything else is imported: older Nodes fail on our dependencies with cryptic errors.
const MINIMUM_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < MINIMUM_NODE_MAJOR) {
  process.stderr.write(
    `error: kubectl trigger-gateway needs Node.js ${MINIMUM_NODE_MAJOR} or later, but it was started with Node.js ${process.versions.node} (${process.execPath}).\n` +
      `  Install Node.js ${MINIMUM_NODE_MAJOR} or later (for example "nvm install 24") and make sure it comes first on your PATH, then run the command again.\n`,
  );
  process.exit(3);
}

const { runCli } = await import('../dist/cli.js');
await runCli(import.meta.url, process.argv.slice(2));
