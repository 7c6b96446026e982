import { Client, type ClientConfig } from 'pg';

/** The demo's schema in the `source` database: what the workload writes and the source captures. */
export const DEMO_SCHEMA = 'demo';
export const DEMO_TABLES = ['customers', 'orders', 'order_items'] as const;
export type DemoTable = (typeof DEMO_TABLES)[number];

/** Primary-key columns of each table, in order (for comparing source and replica). */
export const DEMO_KEYS: Readonly<Record<DemoTable, readonly string[]>> = {
  customers: ['id'],
  orders: ['id'],
  order_items: ['order_id', 'line'],
};

const schemaSql = (schema: string) => `
DROP SCHEMA IF EXISTS ${schema} CASCADE;
CREATE SCHEMA ${schema};
CREATE TYPE ${schema}.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE ${schema}.customers (
  id serial PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  region text NOT NULL,
  profile jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${schema}.orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL,
  status ${schema}.order_status NOT NULL DEFAULT 'new',
  total numeric(12,2) NOT NULL,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Deletes carry the whole old row (Debezium's before image), which the pipeline's unwrap rewrites.
ALTER TABLE ${schema}.orders REPLICA IDENTITY FULL;
CREATE TABLE ${schema}.order_items (
  order_id bigint NOT NULL,
  line int NOT NULL,
  sku text NOT NULL,
  quantity int NOT NULL,
  price numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, line)
);
`;

const REGIONS = ['eu', 'us', 'ca', 'apac'];

/**
 * The demo's sample data: customers, orders and order items with numeric, timestamptz, jsonb and
 * enum columns, created fresh in the `source` database (the previous run's schema is dropped), and
 * seeded so the source has something to snapshot before the workload starts. In the `demo` schema,
 * or another one (a suite running the demo's apps beside a demo).
 */
export class SampleDatabase {
  private constructor(
    private readonly client: Client,
    readonly schema: string,
  ) {}

  static async connect(config: ClientConfig, schema: string = DEMO_SCHEMA): Promise<SampleDatabase> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error(`sample database schema: expected a lower-case SQL identifier, got '${schema}'`);
    const client = new Client({ ...config, application_name: 'sluice-demo' });
    await client.connect();
    return new SampleDatabase(client, schema);
  }

  /** Drops and recreates the demo schema, then seeds `customers` customers with a few orders each. */
  async create(customers: number): Promise<void> {
    await this.client.query(schemaSql(this.schema));
    await this.client.query(
      `INSERT INTO ${this.schema}.customers (email, name, region, profile)
       SELECT 'customer' || g || '@example.com', 'Customer ' || g, ($2::text[])[1 + g % 4],
              jsonb_build_object('tier', CASE WHEN g % 10 = 0 THEN 'gold' ELSE 'standard' END, 'since', 2020 + g % 5)
         FROM generate_series(1, $1::int) g`,
      [customers, REGIONS],
    );
    await this.client.query(
      `INSERT INTO ${this.schema}.orders (customer_id, status, total, details)
       SELECT 1 + (g % $1::int), (ARRAY['new','paid','shipped']::${this.schema}.order_status[])[1 + g % 3],
              round((random() * 1500)::numeric, 2), jsonb_build_object('channel', 'web', 'n', g)
         FROM generate_series(1, $1::int * 3) g`,
      [customers],
    );
    await this.client.query(
      `INSERT INTO ${this.schema}.order_items (order_id, line, sku, quantity, price)
       SELECT o.id, l, 'SKU-' || (o.id * 7 + l) % 500, 1 + l, round((random() * 200)::numeric, 2)
         FROM ${this.schema}.orders o, generate_series(1, 2) l`,
    );
  }

  /** The columns of a demo table, in order (a replica may add bookkeeping columns of its own). */
  async columns(table: DemoTable): Promise<string[]> {
    const { rows } = await this.client.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [`${this.schema}.${table}`],
    );
    return rows.map((r) => r.name);
  }

  get connection(): Client {
    return this.client;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/**
 * Rows of a table as canonical JSON text of `columns`, ordered by the demo table's key: equal text
 * means equal values (numeric scale, timestamptz instant, jsonb content, enum label).
 */
export async function tableRows(
  client: Client,
  qualifiedTable: string,
  table: DemoTable,
  columns: readonly string[],
): Promise<string[]> {
  const list = columns.map((c) => `"${c}"`).join(', ');
  const order = DEMO_KEYS[table].map((c) => `"${c}"`).join(', ');
  const { rows } = await client.query<{ row: string }>(
    `SELECT json_build_array(${list})::text AS row FROM ${qualifiedTable} ORDER BY ${order}`,
  );
  return rows.map((r) => r.row);
}
