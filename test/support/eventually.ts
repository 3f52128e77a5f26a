/**
 * Waits for an assertion about a cluster to hold, as e2e frameworks' Eventually does: `check` runs
 * until it stops throwing, then its value is returned; past the deadline its last error is thrown.
 */
import { setTimeout as delay } from 'node:timers/promises';

export async function eventually<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 60_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await delay(intervalMs);
  }
}
