import { Config, flush, handle, run } from '@oclif/core';

/** Entry point shared by bin/run.js (built) and bin/dev.js (sources). */
export async function runCli(binUrl: string, argv: string[], options: { development?: boolean } = {}): Promise<void> {
  try {
    // oclif maps dist/commands back to src/commands in development.
    if (options.development) process.env.NODE_ENV = 'development';
    const config = await Config.load({ root: new URL('..', binUrl).pathname });
    // Run through kubectl, usage lines should read the way the user typed the command.
    if (process.env.TRIGGER_GATEWAY_AS_KUBECTL_PLUGIN) config.bin = 'kubectl trigger-gateway';
    await run(argv, config);
    await flush();
  } catch (error) {
    await handle(error as Error);
  }
}
