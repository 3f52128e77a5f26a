import { expect } from 'vitest';
import { ForgeError } from '../../../src/forge/errors.ts';

/** The ForgeError a provider call rejects with (the test fails when it resolves or throws another). */
export async function refusal(call: Promise<unknown>): Promise<ForgeError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ForgeError);
  return error as ForgeError;
}
