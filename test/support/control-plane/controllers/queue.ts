/**
 * The workspace's single work queue: controller tasks run one at a time, in order, each key
 * at most once per pass, so concurrent API writes never interleave with a reconcile.
 */
export type Task = () => void | Promise<void>;

export class WorkQueue {
  private readonly pending = new Map<string, Task>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private draining = false;
  private stopped = false;

  /** Runs `task` soon; a key already waiting keeps its place and takes the newer task. */
  enqueue(key: string, task: Task): void {
    if (this.stopped) return;
    this.pending.set(key, task);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  enqueueAfter(key: string, delayMs: number, task: Task): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(key, task);
    }, delayMs);
    // A pending deadline check must not keep the process alive on its own.
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    for (const timer of this.timers) clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    for (const [key, task] of this.pending) {
      this.pending.delete(key);
      try {
        await task();
      } catch (error) {
        console.error(`control-plane: task ${key} failed`, error);
      }
      // Yield between tasks so API requests and watch streams interleave with controller steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.draining = false;
  }
}
