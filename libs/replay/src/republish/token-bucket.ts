/**
 * A token bucket: `rate` tokens a second, holding at most `burst` (default one second's worth).
 * `take(n)` waits until n tokens are there; an aborted signal ends the wait early (answering false).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(
    readonly rate: number,
    burst?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0)) throw new RangeError(`a token bucket needs a positive rate, got ${rate}`);
    this.burst = Math.max(1, Math.floor(burst ?? rate));
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** How long to wait, in ms, before `n` (at most `burst`) tokens are available; 0 takes them. */
  reserve(n: number): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return ((n - this.tokens) * 1000) / this.rate;
  }

  async take(n: number, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const wait = this.reserve(n);
      if (wait === 0) return true;
      await sleep(wait, signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
