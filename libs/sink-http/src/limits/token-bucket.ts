import { type Clock, systemClock } from './clock';

/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst`; a request takes one.
 * A caller that finds the bucket empty reserves the next token anyway (the balance goes negative)
 * and waits until it has been refilled, so waiters are served in arrival order without a queue and
 * the long-run rate never exceeds `ratePerSecond`. The debt is bounded by the callers waiting,
 * which the stream runtime bounds (maxBufferedPerPartition).
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  /** Takes a token; the milliseconds to wait before using it (0 when one was available). */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  /** Takes a token and waits for it. */
  take(signal?: AbortSignal): Promise<void> {
    return this.clock.sleep(this.reserve(), signal);
  }

  /** Tokens available now (negative while callers wait). */
  available(): number {
    const now = this.clock.now();
    return Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
  }
}
