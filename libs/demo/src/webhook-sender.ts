import { randomBytes } from 'node:crypto';
import { WebhookSignature } from '@sluice/webhook-signing';

/** What the sender did so far. */
export interface SenderCounts {
  /** Distinct events created. */
  readonly events: number;
  /** Events answered 2xx (`accepted` or `duplicate`): the receiver has them. */
  readonly acknowledged: number;
  /** Deliberate redeliveries of an acknowledged event (as when a 2xx is lost on the way back). */
  readonly redeliveries: number;
  /** Of those, answered `duplicate` (not written again). */
  readonly duplicatesAnswered: number;
  /** Attempts answered non-2xx or not at all, retried later. */
  readonly retries: number;
  /** Events not acknowledged yet (retrying). */
  readonly pending: number;
}

export interface WebhookSenderOptions {
  /** Where to POST, e.g. http://127.0.0.1:8105/webhooks/stripe. */
  readonly url: string;
  /** The endpoint's signing secret (Stripe's whsec_...). */
  readonly secret: string;
  /** New events per second. */
  readonly rate: number;
  /** Customers 1..customers (the demo's): each event is for one of them, `cus_<id>`. */
  readonly customers: number;
  /** Share of acknowledged events delivered once more on purpose. Default 0.1. */
  readonly redeliveryShare?: number;
  /** Share of events that are `invoice.payment_failed` (the rest `invoice.paid`). Default 0.2. */
  readonly failedShare?: number;
  readonly random?: () => number;
}

/** An event as sent: its body bytes never change between attempts (the signature does). */
interface SentEvent {
  readonly id: string;
  readonly type: string;
  readonly body: Buffer;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * A provider-style webhook sender, as Stripe delivers: invoice events for the demo's customers at
 * `rate` per second, each a JSON body signed with `stripe-signature: t=<unix>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">` (signed anew per attempt), retried with backoff (Retry-After when given) until a 2xx;
 * and, as a lost acknowledgement makes a provider do, some acknowledged events delivered again with
 * the same id. Every event answered 2xx is one the receiver promised to have written.
 */
export class WebhookSender {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly signature: WebhookSignature;
  private readonly random: () => number;
  private readonly acked = new Map<string, string>();
  private readonly unacked = new Set<string>();
  private counts = { events: 0, redeliveries: 0, duplicatesAnswered: 0, retries: 0 };
  private giveUp = false;

  constructor(private readonly options: WebhookSenderOptions) {
    this.signature = new WebhookSignature(options.secret);
    this.random = options.random ?? Math.random;
  }

  get status(): SenderCounts {
    return { ...this.counts, acknowledged: this.acked.size, pending: this.unacked.size };
  }

  /** Event id → type of every event answered 2xx. */
  get acknowledged(): ReadonlyMap<string, string> {
    return this.acked;
  }

  start(): void {
    this.running = true;
    this.loop ??= this.run();
  }

  /**
   * Stops creating events, then waits (up to `timeoutMs`) for those still retrying to get their
   * 2xx; what is still unacknowledged then stays out of `acknowledged` (`status.pending`).
   */
  async stop(timeoutMs = 60_000): Promise<void> {
    this.running = false;
    await this.loop;
    const timer = setTimeout(() => (this.giveUp = true), timeoutMs);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const intervalMs = 1000 / this.options.rate;
    for (let n = 0; this.running; n++) {
      this.track(this.deliver(this.create(), false));
      const due = started + (n + 1) * intervalMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private create(): SentEvent {
    const id = `evt_${randomBytes(12).toString('hex')}`;
    const type =
      this.random() < (this.options.failedShare ?? 0.2) ? 'invoice.payment_failed' : 'invoice.paid';
    const customer = 1 + Math.floor(this.random() * this.options.customers);
    const body = {
      id,
      type,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      customer: `cus_${customer}`,
      invoice: `in_${randomBytes(8).toString('hex')}`,
      amount_cents: 100 * (5 + Math.floor(this.random() * 500)),
      currency: this.random() < 0.7 ? 'usd' : 'eur',
    };
    this.counts.events++;
    return { id, type, body: Buffer.from(JSON.stringify(body)) };
  }

  /** Sends until a 2xx (or the stop deadline); an acknowledged event may be delivered once more. */
  private async deliver(event: SentEvent, redelivery: boolean): Promise<void> {
    if (!redelivery) this.unacked.add(event.id);
    for (let attempt = 0; ; attempt++) {
      const answer = await this.attempt(event);
      if (answer.ok) {
        if (redelivery) {
          if (answer.status === 'duplicate') this.counts.duplicatesAnswered++;
        } else {
          this.unacked.delete(event.id);
          this.acked.set(event.id, event.type);
          if (this.running && this.random() < (this.options.redeliveryShare ?? 0.1))
            this.track(this.redeliverLater(event));
        }
        return;
      }
      if (this.giveUp) return;
      this.counts.retries++;
      const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, answer.retryAfterMs ?? backoff));
    }
  }

  private async redeliverLater(event: SentEvent): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 200 + this.random() * 1500));
    this.counts.redeliveries++;
    await this.deliver(event, true);
  }

  private async attempt(
    event: SentEvent,
  ): Promise<{ ok: true; status: string | undefined } | { ok: false; retryAfterMs?: number }> {
    const header = this.signature.header(event.body, Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': header },
        body: event.body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.ok) {
        let status: string | undefined;
        try {
          status = (JSON.parse(text) as { status?: string }).status;
        } catch {
          status = undefined;
        }
        return { ok: true, status };
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      return Number.isFinite(retryAfter) && retryAfter > 0
        ? { ok: false, retryAfterMs: Math.min(retryAfter * 1000, MAX_BACKOFF_MS) }
        : { ok: false };
    } catch {
      return { ok: false };
    }
  }
}
