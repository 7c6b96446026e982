import {
  type AvroField,
  type AvroJson,
  connectField,
  connectPrimitive,
  connectRecord,
} from '../values/avro-json';

/** Debezium's SnapshotRecord values, lower case, in its order (the Enum's `allowed`). */
export const SNAPSHOT_MARKERS = [
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
] as const;
export type SnapshotMarker = (typeof SNAPSHOT_MARKERS)[number];

const optionalLong = (name: string): AvroField => connectField(name, 'long', true);

/**
 * `io.debezium.connector.postgresql.Source` (SchemaFactory.sourceInfoSchemaBuilder + the Postgres
 * fields of Debezium 3.6's PostgresSourceInfoStructMaker, ending with the optional `origin` and
 * `origin_lsn`) as AvroConverter writes it. `snapshot` is an optional Enum with default "false", which
 * AvroData writes as a union with the string first and `"default": "false"`.
 */
export const POSTGRES_SOURCE_SCHEMA: AvroJson = connectRecord(
  'io.debezium.connector.postgresql.Source',
  [
    { name: 'version', type: 'string' },
    { name: 'connector', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'ts_ms', type: 'long' },
    {
      name: 'snapshot',
      type: [
        connectPrimitive('string', {
          name: 'io.debezium.data.Enum',
          version: 1,
          parameters: { allowed: SNAPSHOT_MARKERS.join(',') },
          default: 'false',
        }),
        'null',
      ],
      default: 'false',
    },
    { name: 'db', type: 'string' },
    connectField('sequence', 'string', true),
    optionalLong('ts_us'),
    optionalLong('ts_ns'),
    { name: 'schema', type: 'string' },
    { name: 'table', type: 'string' },
    optionalLong('txId'),
    optionalLong('lsn'),
    optionalLong('xmin'),
    connectField('origin', 'string', true),
    optionalLong('origin_lsn'),
  ],
  { version: 1 },
);

/** `event.block`: the envelope's `transaction` (provide.transaction.metadata). */
export const TRANSACTION_BLOCK_SCHEMA: AvroJson = connectRecord(
  'event.block',
  [
    { name: 'id', type: 'string' },
    { name: 'total_order', type: 'long' },
    { name: 'data_collection_order', type: 'long' },
  ],
  { version: 1 },
);

export interface SourceInfo {
  version: string;
  connector: 'postgresql';
  name: string;
  ts_ms: number;
  snapshot: SnapshotMarker | null;
  db: string;
  sequence: string | null;
  ts_us: number | bigint | null;
  ts_ns: number | bigint | null;
  schema: string;
  table: string;
  txId: number | null;
  lsn: number | bigint | null;
  xmin: number | null;
  /** Replication origin of the transaction (pgoutput Origin message), Debezium 3.6's `origin`. */
  origin: string | null;
  /** The commit's LSN on the origin server. */
  origin_lsn: number | bigint | null;
}

export interface TransactionBlock {
  id: string;
  total_order: number;
  data_collection_order: number;
}

/** The Debezium envelope value (`<topic>.Envelope`). */
export interface EnvelopeValue {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: SourceInfo;
  op: 'c' | 'u' | 'd' | 'r' | 't';
  ts_ms: number | null;
  ts_us: number | bigint | null;
  ts_ns: number | bigint | null;
  transaction: TransactionBlock | null;
}
