import { Client, type ClientConfig } from 'pg';

/** The captured schema in the `source` database, and where the sink keeps the replica. */
export const SOURCE_SCHEMA = 'chaos';
export const REPLICA_SCHEMA = 'replica';
export const TABLES = ['customers', 'orders', 'order_items'] as const;
export type ChaosTable = (typeof TABLES)[number];
const KEYS: Record<ChaosTable, readonly string[]> = {
  customers: ['id'],
  orders: ['id'],
  order_items: ['order_id', 'line'],
};

const SCHEMA_SQL = `
DROP SCHEMA IF EXISTS ${SOURCE_SCHEMA} CASCADE;
CREATE SCHEMA ${SOURCE_SCHEMA};
CREATE TYPE ${SOURCE_SCHEMA}.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE ${SOURCE_SCHEMA}.customers (
  id serial PRIMARY KEY,
  email text NOT NULL,
  region text NOT NULL,
  profile jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${SOURCE_SCHEMA}.orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL,
  status ${SOURCE_SCHEMA}.order_status NOT NULL DEFAULT 'new',
  total numeric(12,2) NOT NULL,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- A delete carries the whole old row, which the transformer's unwrap rewrites (and routes by status).
ALTER TABLE ${SOURCE_SCHEMA}.orders REPLICA IDENTITY FULL;
CREATE TABLE ${SOURCE_SCHEMA}.order_items (
  order_id bigint NOT NULL,
  line int NOT NULL,
  sku text NOT NULL,
  quantity int NOT NULL,
  price numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, line)
);
`;

/** Creates the captured schema and seeds it, so the source has a snapshot to take first. */
export async function createSourceSchema(config: ClientConfig, customers: number): Promise<void> {
  const client = new Client({ ...config, database: 'source', application_name: 'sluice-chaos-setup' });
  await client.connect();
  try {
    await client.query(SCHEMA_SQL);
    const s = SOURCE_SCHEMA;
    await client.query(
      `INSERT INTO ${s}.customers (email, region, profile)
       SELECT 'customer' || g || '@example.com', (ARRAY['eu','us','ca','apac'])[1 + g % 4],
              jsonb_build_object('tier', CASE WHEN g % 10 = 0 THEN 'gold' ELSE 'standard' END)
         FROM generate_series(1, $1::int) g`,
      [customers],
    );
    await client.query(
      `INSERT INTO ${s}.orders (customer_id, status, total, details)
       SELECT 1 + g % $1::int, (ARRAY['new','paid','shipped']::${s}.order_status[])[1 + g % 3],
              round((random() * 1500)::numeric, 2), jsonb_build_object('n', g)
         FROM generate_series(1, $1::int * 3) g`,
      [customers],
    );
    await client.query(
      `INSERT INTO ${s}.order_items (order_id, line, sku, quantity, price)
       SELECT o.id, l, 'SKU-' || (o.id * 7 + l) % 500, l, round((random() * 200)::numeric, 2)
         FROM ${s}.orders o, generate_series(1, 2) l`,
    );
  } finally {
    await client.end();
  }
}

/** One table of the source and its replica, compared row for row. */
export interface TableComparison {
  readonly table: ChaosTable;
  readonly sourceRows: number;
  readonly replicaRows: number;
  /** Rows of the source missing from the replica or different there, and rows only the replica has. */
  readonly missing: number;
  readonly extra: number;
  /** One differing row, for the message. */
  readonly example?: string;
  /** The first few differing keys, with the row on each side (undefined: absent there). */
  readonly differences: readonly RowDifference[];
  readonly equal: boolean;
}

/** One key whose row differs between the source and the replica. */
export interface RowDifference {
  readonly table: ChaosTable;
  /** The key as an object, e.g. `{ id: 6387 }` (as the Avro key decodes). */
  readonly key: Record<string, unknown>;
  readonly source: string | undefined;
  readonly replica: string | undefined;
}

/**
 * Every captured table against its replica: each row as canonical JSON of the source's columns
 * (the replica has bookkeeping columns of its own), ordered by key.
 */
export async function compareReplica(source: Client, sink: Client): Promise<TableComparison[]> {
  const out: TableComparison[] = [];
  for (const table of TABLES) {
    const { rows: cols } = await source.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [`${SOURCE_SCHEMA}.${table}`],
    );
    const columns = cols.map((c) => c.name);
    const expected = await tableRows(source, `${SOURCE_SCHEMA}.${table}`, table, columns);
    let actual: string[];
    try {
      actual = await tableRows(sink, `${REPLICA_SCHEMA}.${table}`, table, columns);
    } catch {
      actual = []; // not created yet
    }
    const have = new Set(actual);
    const want = new Set(expected);
    const missing = expected.filter((row) => !have.has(row));
    const extra = actual.filter((row) => !want.has(row));
    const keyOf = (row: string): Record<string, unknown> => {
      const values = JSON.parse(row) as unknown[];
      return Object.fromEntries(KEYS[table].map((k) => [k, values[columns.indexOf(k)]]));
    };
    const byKey = (rows: string[]) => new Map(rows.map((row) => [JSON.stringify(keyOf(row)), row]));
    const sourceRows = byKey(missing);
    const replicaRows = byKey(extra);
    const differences = [...new Set([...sourceRows.keys(), ...replicaRows.keys()])].slice(0, 5).map((k) => ({
      table,
      key: JSON.parse(k) as Record<string, unknown>,
      source: sourceRows.get(k),
      replica: replicaRows.get(k),
    }));
    out.push({
      table,
      sourceRows: expected.length,
      replicaRows: actual.length,
      missing: missing.length,
      extra: extra.length,
      example: missing[0] ?? extra[0],
      differences,
      equal: missing.length === 0 && extra.length === 0,
    });
  }
  return out;
}

async function tableRows(
  client: Client,
  qualified: string,
  table: ChaosTable,
  columns: readonly string[],
): Promise<string[]> {
  const list = columns.map((c) => `"${c}"`).join(', ');
  const order = KEYS[table].map((c) => `"${c}"`).join(', ');
  const { rows } = await client.query<{ row: string }>(
    `SELECT json_build_array(${list})::text AS row FROM ${qualified} ORDER BY ${order}`,
  );
  return rows.map((r) => r.row);
}
