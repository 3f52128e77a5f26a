/** The GatewayError `run` throws; fails the test when it throws nothing or something else. */
import { GatewayError } from '../../src/errors.ts';

export function caught(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}
