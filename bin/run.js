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

// `… | head` closes the pipe early: stop quietly, as kubectl does, instead of failing to write.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Node keeps the compiled bundle in its compile cache (the OS temp folder, or NODE_COMPILE_CACHE), so
// later starts skip parsing it. NODE_DISABLE_COMPILE_CACHE=1 turns that off.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();

const { runCli } = await import('../dist/cli.js');
await runCli(import.meta.url, process.argv.slice(2));
