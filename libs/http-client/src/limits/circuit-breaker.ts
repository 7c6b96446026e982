import { type Clock, systemClock } from '@sluice/errors';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe is let through (half-open). */
  readonly coolDownMs: number;
}

export interface CircuitTransition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** Epoch ms. */
  readonly at: number;
}

/** Counters since start, for /status and metrics. */
export interface CircuitCounters {
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  /** Times the circuit opened (from closed or after a failed probe). */
  readonly opened: number;
  /** Times it closed again after a successful probe. */
  readonly closed: number;
  /** Attempts refused while open or while the half-open probe was out. */
  readonly rejected: number;
}

/** Whether an attempt may go out now; when refused, how long until it is worth asking again. */
export type CircuitPermit =
  | { readonly allowed: true; readonly probe: boolean }
  | { readonly allowed: false; readonly retryInMs: number };

/** A refused attempt asks again no sooner than this while a half-open probe is out. */
const PROBE_WAIT_MS = 250;

/**
 * The circuit breaker of one destination (closed → open → half-open → closed). Closed: attempts go
 * out; `failureThreshold` consecutive failures open it. Open: attempts are refused for
 * `coolDownMs`. Then the first attempt to ask is the probe (half-open), all others are still
 * refused; the probe's success closes the circuit, its failure opens it for another cool-down.
 * A neutral outcome (the endpoint answered, but e.g. 429 or 400) neither counts as a failure nor
 * closes a half-open circuit. Pure apart from the injected clock; transitions are reported to
 * listeners (metrics, logs).
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeOut = false;
  private counts = { opened: 0, closed: 0, rejected: 0 };
  private readonly listeners: Array<(transition: CircuitTransition) => void> = [];

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(options.failureThreshold >= 1)) throw new RangeError('failureThreshold must be >= 1');
  }

  get state(): CircuitState {
    return this.current;
  }

  counters(): CircuitCounters {
    return { state: this.current, consecutiveFailures: this.failures, ...this.counts };
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (transition: CircuitTransition) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  acquire(): CircuitPermit {
    if (this.current === 'open') {
      const waited = this.clock.now() - this.openedAt;
      if (waited < this.options.coolDownMs) {
        this.counts.rejected++;
        return { allowed: false, retryInMs: this.options.coolDownMs - waited };
      }
      this.transition('half-open');
    }
    if (this.current === 'half-open') {
      if (this.probeOut) {
        this.counts.rejected++;
        return { allowed: false, retryInMs: Math.min(PROBE_WAIT_MS, this.options.coolDownMs) };
      }
      this.probeOut = true;
      return { allowed: true, probe: true };
    }
    return { allowed: true, probe: false };
  }

  /** The attempt succeeded: a probe closes the circuit; the failure streak ends. */
  success(permit: CircuitPermit): void {
    this.failures = 0;
    if (permit.allowed && permit.probe && this.current === 'half-open') {
      this.probeOut = false;
      this.counts.closed++;
      this.transition('closed');
    }
  }

  /** The attempt failed (5xx, timeout, unreachable): counts toward opening; a failed probe reopens. */
  failure(permit: CircuitPermit): void {
    if (permit.allowed && permit.probe && this.current === 'half-open') {
      this.probeOut = false;
      this.open();
      return;
    }
    this.failures++;
    if (this.current === 'closed' && this.failures >= this.options.failureThreshold) this.open();
  }

  /** The attempt ended without saying anything about the endpoint's health (429, aborted): frees the probe. */
  neutral(permit: CircuitPermit): void {
    if (permit.allowed && permit.probe && this.current === 'half-open') this.probeOut = false;
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.counts.opened++;
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    if (to === 'closed') this.failures = 0;
    const event = { from, to, at: this.clock.now() };
    for (const listener of this.listeners) listener(event);
  }
}
