import { CircuitBreaker } from '@sluice/http-client';
import { systemClock, TokenBucket } from '@sluice/errors';

/**
 * What every stream calling one host shares: its token bucket (`hosts.<host>.rateLimit`), its
 * circuit breaker, and a hold set by the host itself (Retry-After, an exhausted X-RateLimit) that
 * no stream's request may break.
 */
export class HostLimits {
  readonly breaker: CircuitBreaker;
  private heldUntil = 0;

  constructor(
    readonly host: string,
    readonly bucket: TokenBucket | undefined,
    breaker: { failureThreshold: number; coolDownMs: number },
  ) {
    this.breaker = new CircuitBreaker(breaker);
  }

  /** No request to this host before `until` (epoch ms); a later hold wins. */
  holdUntil(until: number): void {
    this.heldUntil = Math.max(this.heldUntil, until);
  }

  /** Waits out a hold, then for the host's token. False when `signal` fired first. */
  async admit(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const wait = this.heldUntil - Date.now();
      if (wait <= 0) break;
      try {
        await systemClock.sleep(wait, signal);
      } catch {
        return false;
      }
    }
    return this.bucket ? this.bucket.take(1, signal) : !signal.aborted;
  }

  get heldForMs(): number {
    return Math.max(0, this.heldUntil - Date.now());
  }
}
