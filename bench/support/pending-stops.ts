/**
 * Stops of finished runs, left to finish while the next process starts: an app's graceful stop
 * takes ~0.5 s (its consumer waits out a fetch), its start ~0.8 s to ready, and a suite that starts
 * a process per variant and run waited for each stop in turn. A run awaits them (`settled`) before
 * its window opens: no two processes of a suite ever overlap in a measured window.
 */
export class PendingStops {
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;

  /** Runs `stop` once the stops added before it ended (a group's topics outlive all its processes). */
  add(stop: () => Promise<void>): void {
    this.pending = this.pending.then(stop).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Resolves once every stop added so far ended; rejects with the first that failed. */
  async settled(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) throw this.failure;
  }
}
