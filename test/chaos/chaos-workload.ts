import { Client, type ClientConfig } from 'pg';
import { SOURCE_SCHEMA } from './chaos-database';
import { type SeededRandom } from './seeded-random';

export interface WorkloadStatus {
  /** Transactions committed (acknowledged by Postgres). */
  readonly committed: number;
  /** Transactions that failed (connection cut, Postgres down); their outcome is Postgres's. */
  readonly failed: number;
  /** New connections after a failure. */
  readonly reconnects: number;
  readonly lastError: string | undefined;
}

/**
 * The writer of a chaos run: at `rate` transactions per second, inserts orders with their items,
 * updates orders (status, total), order items and customers, deletes orders with their items and
 * adds customers, on the captured schema. It outlives the faults: a transaction that fails (a cut
 * connection, Postgres restarting) is dropped, the writer reconnects and goes on. Paced by the
 * clock without catching up after an outage, so the rate stays steady.
 */
export class ChaosWorkload {
  private running = false;
  private done: Promise<void> | undefined;
  private client: Client | undefined;
  private committed = 0;
  private failed = 0;
  private reconnects = 0;
  private lastError: string | undefined;

  constructor(
    private readonly config: ClientConfig,
    private readonly rate: number,
    private readonly random: SeededRandom,
  ) {}

  get status(): WorkloadStatus {
    return {
      committed: this.committed,
      failed: this.failed,
      reconnects: this.reconnects,
      lastError: this.lastError,
    };
  }

  start(): void {
    this.running = true;
    this.done ??= this.loop();
  }

  /** Stops after the transaction in progress and closes the connection. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async loop(): Promise<void> {
    const intervalMs = 1000 / this.rate;
    let due = Date.now();
    while (this.running) {
      try {
        const client = await this.connection();
        await this.writeOne(client);
        this.committed++;
      } catch (error) {
        this.failed++;
        this.lastError = (error as Error).message;
        const client = this.client;
        this.client = undefined;
        await client?.end().catch(() => undefined);
        await sleep(500);
      }
      due += intervalMs;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -1000) due = Date.now(); // behind after an outage: no burst to catch up
    }
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      ...this.config,
      database: 'source',
      application_name: 'sluice-chaos-workload',
      connectionTimeoutMillis: 3000,
      query_timeout: 10_000,
    });
    // A connection cut while idle reports here; the next query fails and reconnects.
    client.on('error', () => undefined);
    await client.connect();
    if (this.committed + this.failed > 0) this.reconnects++;
    this.client = client;
    return client;
  }

  private async writeOne(c: Client): Promise<void> {
    const s = SOURCE_SCHEMA;
    const pick = this.random.next();
    const anyOrder = `(SELECT id FROM ${s}.orders WHERE id >= (SELECT floor(random() * (max(id) + 1))::bigint FROM ${s}.orders) ORDER BY id LIMIT 1)`;
    const anyCustomer = `(SELECT id FROM ${s}.customers WHERE id >= (SELECT floor(random() * (max(id) + 1))::int FROM ${s}.customers) ORDER BY id LIMIT 1)`;
    if (pick < 0.35) {
      await transaction(c, async () => {
        const { rows } = await c.query<{ id: string }>(
          `INSERT INTO ${s}.orders (customer_id, total, details)
           VALUES (coalesce(${anyCustomer}, 1), $1, jsonb_build_object('channel', $2::text))
           RETURNING id::text`,
          [(this.random.next() * 2000).toFixed(2), this.random.next() < 0.5 ? 'web' : 'app'],
        );
        await c.query(
          `INSERT INTO ${s}.order_items (order_id, line, sku, quantity, price)
           SELECT $1::bigint, l, 'SKU-' || (l * 13 + $1::bigint) % 500, l, round((random() * 100)::numeric, 2)
             FROM generate_series(1, 1 + floor(random() * 3)::int) l`,
          [rows[0]!.id],
        );
      });
    } else if (pick < 0.7) {
      await c.query(
        `UPDATE ${s}.orders SET status = (ARRAY['paid','shipped','cancelled']::${s}.order_status[])[1 + floor(random() * 3)::int],
                total = round(total * (0.9 + random() * 0.3)::numeric, 2), updated_at = now()
          WHERE id = ${anyOrder}`,
      );
    } else if (pick < 0.77) {
      await c.query(
        `UPDATE ${s}.order_items SET quantity = quantity + 1
          WHERE (order_id, line) = (SELECT order_id, line FROM ${s}.order_items WHERE order_id = ${anyOrder} LIMIT 1)`,
      );
    } else if (pick < 0.87) {
      await c.query(
        `UPDATE ${s}.customers SET email = 'customer' || id || '+' || floor(random() * 1000)::int || '@example.com',
                profile = profile || jsonb_build_object('visits', floor(random() * 100)::int), updated_at = now()
          WHERE id = ${anyCustomer}`,
      );
    } else if (pick < 0.95) {
      await transaction(c, async () => {
        const { rows } = await c.query<{ id: string }>(`SELECT ${anyOrder}::text AS id`);
        if (rows[0]?.id == null) return;
        await c.query(`DELETE FROM ${s}.order_items WHERE order_id = $1`, [rows[0].id]);
        await c.query(`DELETE FROM ${s}.orders WHERE id = $1`, [rows[0].id]);
      });
    } else {
      await c.query(
        `INSERT INTO ${s}.customers (email, region) VALUES ('new' || floor(random() * 1e9)::bigint || '@example.com', $1)`,
        [this.random.pick(['eu', 'us', 'ca', 'apac'])],
      );
    }
  }
}

async function transaction(client: Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
