import { flush, handle, type Interfaces, run } from '@oclif/core';

/** Runs a command through oclif: every command, and the help for anything but the root. */
export async function runOclif(argv: string[], root: string, pjson: Interfaces.PJSON): Promise<void> {
  try {
    await run(argv, { root, pjson });
    await flush();
  } catch (error) {
    await handle(error as Error);
  }
}
