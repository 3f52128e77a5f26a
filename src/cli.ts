import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flush, handle, type Interfaces, run } from '@oclif/core';

/** Entry point shared by bin/run.js (built) and bin/dev.js (sources). */
export async function runCli(binUrl: string, argv: string[]): Promise<void> {
  try {
    const root = fileURLToPath(new URL('..', binUrl));
    const pjson = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as Interfaces.PJSON;
    // Run through kubectl, usage lines read the way the user typed the command.
    if (process.env.TRIGGER_GATEWAY_AS_KUBECTL_PLUGIN && pjson.oclif)
      pjson.oclif.bin = 'kubectl trigger-gateway';
    await run(argv, { root, pjson });
    await flush();
  } catch (error) {
    await handle(error as Error);
  }
}
