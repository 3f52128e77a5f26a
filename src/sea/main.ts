/**
 * Entry point of the single executables (Node's single executable applications): the Node runtime with
 * dist/ attached as assets. Unpacks them once per build (./unpack.ts), then starts bin/run.js from there,
 * as the npm package does. Built as CommonJS by .ci/package.ts.
 */
import { basename, join } from 'node:path';
import { getAsset, getRawAsset } from 'node:sea';
import { pathToFileURL } from 'node:url';
import { type AppIndex, unpackedCli } from './unpack.ts';

async function main(): Promise<void> {
  const index = JSON.parse(getAsset('index.json', 'utf8')) as AppIndex;
  let folder: string;
  try {
    folder = unpackedCli(index, (path) => getRawAsset(path));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(3);
  }
  // Started by kubectl as kubectl-trigger_gateway: usage lines then read `kubectl trigger-gateway …`.
  if (basename(process.argv0).startsWith('kubectl-')) process.env.TRIGGER_GATEWAY_AS_KUBECTL_PLUGIN = '1';
  await import(pathToFileURL(join(folder, 'bin', 'run.js')).href);
}

void main();
