import type { Interfaces } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CliPackage, KUBECTL_PLUGIN_BIN, printedWithoutOclif } from './root-help.ts';

/** Entry point shared by bin/run.js (built) and bin/dev.js (sources). */
export async function runCli(binUrl: string, argv: string[]): Promise<void> {
  const root = fileURLToPath(new URL('..', binUrl));
  const pjson = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as CliPackage;
  // Run through kubectl, usage lines read the way the user typed the command.
  if (process.env.TRIGGER_GATEWAY_AS_KUBECTL_PLUGIN && pjson.oclif) pjson.oclif.bin = KUBECTL_PLUGIN_BIN;
  // The root help and --version, run the most by people, are printed without loading oclif.
  const printed = await printedWithoutOclif(root, pjson, argv);
  if (printed !== undefined) {
    process.stdout.write(printed);
    return;
  }
  const { runOclif } = await import('./oclif-main.ts');
  await runOclif(argv, root, pjson as Interfaces.PJSON);
}
