import type { Client } from 'pg';
import { DEMO_SCHEMA } from './sample-database';

/** What the workload did so far. */
export interface WorkloadCounts {
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  /** Transactions committed. */
  readonly transactions: number;
  /** The one order the pipeline refuses (a negative total), once written. */
  readonly poisonOrderId: string | undefined;
}

export interface WorkloadOptions {
  /** Transactions per second asked for. */
  readonly rate: number;
  /** When to write the poison order, in transactions from the start. */
  readonly poisonAfter: number;
  readonly random?: () => number;
}

/**
 * The demo's writer: at `rate` transactions per second, inserts orders with their items, updates
 * order status and totals (some above 1,000, which the pipeline routes to their own topic), changes
 * customer e-mails, deletes orders with their items — and once writes a poison order (a negative
 * total) that the pipeline's validation sends to the dead-letter topic. Paced by the clock, so a
 * slow database shows as a lower achieved rate, never as a burst.
 */
export class Workload {
  private running = false;
  private done: Promise<void> | undefined;
  /** Why the writer stopped by itself, if it did. */
  failure: Error | undefined;
  private counts = { inserts: 0, updates: 0, deletes: 0, transactions: 0 };
  private poisonOrderId: string | undefined;
  private readonly random: () => number;

  constructor(
    private readonly client: Client,
    private readonly options: WorkloadOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  get status(): WorkloadCounts {
    return { ...this.counts, poisonOrderId: this.poisonOrderId };
  }

  start(): void {
    this.running = true;
    this.done ??= this.loop().catch((error: unknown) => {
      this.running = false;
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  /** Stops after the transaction in progress; rejects if the writer failed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    if (this.failure) throw this.failure;
  }

  private async loop(): Promise<void> {
    const started = Date.now();
    const intervalMs = 1000 / this.options.rate;
    while (this.running) {
      const n = this.counts.transactions;
      if (this.poisonOrderId === undefined && n >= this.options.poisonAfter) await this.writePoison();
      else await this.writeOne();
      this.counts.transactions++;
      const due = started + (n + 1) * intervalMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async writeOne(): Promise<void> {
    const pick = this.random();
    const s = DEMO_SCHEMA;
    if (pick < 0.4) {
      const total = (this.random() * (this.random() < 0.2 ? 5000 : 900)).toFixed(2);
      await this.transaction(async () => {
        const { rows } = await this.client.query<{ id: string }>(
          `INSERT INTO ${s}.orders (customer_id, total, details)
           VALUES ((SELECT id FROM ${s}.customers ORDER BY random() LIMIT 1), $1, jsonb_build_object('channel', $2::text))
           RETURNING id::text`,
          [total, this.random() < 0.5 ? 'web' : 'app'],
        );
        await this.client.query(
          `INSERT INTO ${s}.order_items (order_id, line, sku, quantity, price)
           SELECT $1::bigint, l, 'SKU-' || (l * 13 + $1::bigint) % 500, l, round((random() * 100)::numeric, 2)
             FROM generate_series(1, 1 + floor(random() * 3)::int) l`,
          [rows[0].id],
        );
        this.counts.inserts += 2;
      });
    } else if (pick < 0.8) {
      const result = await this.client.query(
        `UPDATE ${s}.orders SET status = (ARRAY['paid','shipped','cancelled']::${s}.order_status[])[1 + floor(random() * 3)::int],
                total = round(total * (0.9 + random() * 0.3)::numeric, 2), updated_at = now()
          WHERE id = (SELECT id FROM ${s}.orders WHERE id <> $1::bigint ORDER BY random() LIMIT 1)`,
        [this.poisonOrderId ?? '0'],
      );
      this.counts.updates += result.rowCount ?? 0;
    } else if (pick < 0.9) {
      const result = await this.client.query(
        `UPDATE ${s}.customers SET email = 'customer' || id || '+' || floor(random() * 1000)::int || '@example.com'
          WHERE id = (SELECT id FROM ${s}.customers ORDER BY random() LIMIT 1)`,
      );
      this.counts.updates += result.rowCount ?? 0;
    } else {
      await this.transaction(async () => {
        const { rows } = await this.client.query<{ id: string }>(
          `SELECT id::text FROM ${s}.orders WHERE id <> $1::bigint ORDER BY random() LIMIT 1`,
          [this.poisonOrderId ?? '0'],
        );
        if (rows.length === 0) return;
        const items = await this.client.query(`DELETE FROM ${s}.order_items WHERE order_id = $1`, [
          rows[0].id,
        ]);
        await this.client.query(`DELETE FROM ${s}.orders WHERE id = $1`, [rows[0].id]);
        this.counts.deletes += 1 + (items.rowCount ?? 0);
      });
    }
  }

  private async writePoison(): Promise<void> {
    const { rows } = await this.client.query<{ id: string }>(
      `INSERT INTO ${DEMO_SCHEMA}.orders (customer_id, total, details)
       VALUES (1, -1.00, '{"note": "poison: a negative total the pipeline refuses"}') RETURNING id::text`,
    );
    this.poisonOrderId = rows[0].id;
    this.counts.inserts++;
  }

  private async transaction(work: () => Promise<void>): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await work();
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
