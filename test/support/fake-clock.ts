import { type Clock } from '@sluice/errors';

/** A clock for specs: `sleep` advances time at once and records how long it was asked to wait. */
export class FakeClock implements Clock {
  readonly slept: number[] = [];

  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.slept.push(ms);
    this.t += Math.max(0, ms);
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
