import { type Clock, systemClock } from '../time/clock';

/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst` (default one second's
 * worth, at least 1). A caller that finds too few reserves them anyway (the balance goes negative)
 * and waits until they have been refilled, so waiters are served in arrival order without a queue
 * and the long-run rate never exceeds `ratePerSecond`. The debt is bounded by the callers waiting,
 * which each user bounds (the stream runtime's maxBufferedPerPartition, replay's one loop).
 */
export class TokenBucket {
  readonly burst: number;
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly ratePerSecond: number,
    burst?: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
    this.burst = burst ?? Math.max(1, Math.floor(ratePerSecond));
    if (!(this.burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.tokens = this.burst;
    this.refilledAt = clock.now();
  }

  /** Takes `n` tokens; the milliseconds to wait before using them (0 when they were there). */
  reserve(n = 1): number {
    const now = this.clock.now();
    this.tokens = this.balanceAt(now) - n;
    this.refilledAt = now;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  /**
   * Takes `n` tokens and waits for them: true once they may be used, false when `signal` fired
   * first (before the wait, nothing is taken).
   */
  async take(n = 1, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    try {
      await this.clock.sleep(this.reserve(n), signal);
      return true;
    } catch (error) {
      if (signal?.aborted) return false;
      throw error;
    }
  }

  /** Tokens available now (negative while callers wait). */
  available(): number {
    return this.balanceAt(this.clock.now());
  }

  private balanceAt(now: number): number {
    const elapsedMs = Math.max(0, now - this.refilledAt);
    return Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
  }
}
