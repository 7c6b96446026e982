import { z } from 'zod';
import { flag, postgresSslSchema, wholeNumber } from '@sluice/config';
import { livenessConfigSchema } from '@sluice/observability';

/** Postgres identifiers Sluice creates (slot, publication): what CREATE accepts unquoted. */
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
/** `schema.table` or a pattern of it, `*` matching any run of characters: `public.*`, `sales.order_*`. */
const TABLE_PATTERN = /^[^.\s]+\.[^.\s]+$/;
/** `schema.table.column`, `*` allowed in each part. */
const COLUMN_PATTERN = /^[^.\s]+\.[^.\s]+\.[^.\s]+$/;

export const SNAPSHOT_MODES = ['initial', 'never', 'when_needed', 'initial_only'] as const;

/** Operations `events.skippedOperations` can leave out (Debezium skipped.operations). */
export const SKIPPABLE_OPERATIONS = ['c', 'u', 'd', 't'] as const;
export type SkippableOperation = (typeof SKIPPABLE_OPERATIONS)[number];

/**
 * Debezium's skipped.operations: `none`, a comma-separated list (`c,d`, as Debezium writes it) or
 * a YAML list; the list of skipped operations.
 */
const skippedOperationsSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((value, ctx): SkippableOperation[] => {
    const items = (Array.isArray(value) ? value : value.split(',')).map((op) => op.trim()).filter(Boolean);
    if (items.length === 1 && items[0] === 'none') return [];
    const bad = items.filter((op) => !(SKIPPABLE_OPERATIONS as readonly string[]).includes(op));
    if (bad.length > 0 || items.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected 'none' or some of c, u, d, t (comma-separated or a list); got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return [...new Set(items as SkippableOperation[])];
  });

/** A table pattern and its key columns (Debezium message.key.columns). */
export interface KeyColumnsRule {
  readonly table: string;
  readonly columns: readonly string[];
}

const KEY_COLUMNS_HINT = 'expected schema.table:col1,col2;schema.table:col (* as a wildcard in the table)';

/**
 * Debezium's message.key.columns: `schema.table:c1,c2;schema.other:c` as Debezium writes it, or a
 * YAML map of table pattern → column list. Debezium's regular expressions become Sluice's `*`
 * patterns, as in `tables.include`.
 */
const keyColumnsSchema = z
  .union([z.string(), z.record(z.string(), z.array(z.string()))])
  .transform((value, ctx): KeyColumnsRule[] => {
    const entries: Array<[string, string[]]> =
      typeof value === 'string'
        ? value
            .split(';')
            .map((rule) => rule.trim())
            .filter(Boolean)
            .map((rule): [string, string[]] => {
              const colon = rule.lastIndexOf(':');
              // Debezium's tables are regular expressions: an escaped dot (`inventory\.orders`) is the dot.
              const table = (colon < 0 ? rule : rule.slice(0, colon)).trim().replace(/\\\./g, '.');
              return colon < 0 ? [table, []] : [table, rule.slice(colon + 1).split(',')];
            })
        : Object.entries(value);
    const rules: KeyColumnsRule[] = [];
    for (const [table, columns] of entries) {
      const names = columns.map((c) => c.trim()).filter(Boolean);
      if (!TABLE_PATTERN.test(table) || names.length === 0 || names.length !== columns.length) {
        ctx.addIssue({ code: 'custom', message: `${KEY_COLUMNS_HINT}; got ${JSON.stringify(table)}` });
        return z.NEVER;
      }
      rules.push({ table, columns: names });
    }
    return rules;
  });
export type SnapshotMode = (typeof SNAPSHOT_MODES)[number];

const connectionSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Postgres host. Default 127.0.0.1.'),
    port: wholeNumber(1).default(5433).describe('Postgres port. Default 5433 (the local stack).'),
    user: z
      .string()
      .min(1)
      .default('postgres')
      .describe(
        'A role with REPLICATION (or superuser) and SELECT on the captured tables. Default postgres.',
      ),
    password: z.string().default('postgres').describe('Use ${ENV_VAR} interpolation. Default postgres.'),
    database: z.string().min(1).default('source').describe('Database to capture. Default source.'),
    connectTimeoutMs: wholeNumber(1).default(10_000).describe('Connection timeout. Default 10000.'),
    ssl: postgresSslSchema.describe(
      'TLS to Postgres, for the query and the replication connections alike (libpq sslmode semantics). Default: plain TCP.',
    ),
  })
  .prefault({});

const maskRuleSchema = z
  .strictObject({
    columns: z
      .array(z.string().regex(COLUMN_PATTERN, 'expected schema.table.column'))
      .min(1)
      .describe('Columns (schema.table.column patterns) this rule masks.'),
    with: z
      .enum(['hash', 'stars'])
      .describe(
        "'hash': HMAC-SHA256 of the value (UTF-8) keyed with salt, lower-case hex (the output format of Debezium's column.mask.hash, not its values); 'stars': a fixed run of '*'.",
      ),
    salt: z
      .string()
      .min(16, 'expected at least 16 characters (a secret, e.g. ${SLUICE_MASK_SALT})')
      .optional()
      .describe(
        "The HMAC key of 'hash' (the name is kept from the salted hash it replaced), at least 16 characters, from the environment. Required with 'hash': without a secret key, a hashed e-mail address is undone by hashing a list of addresses.",
      ),
    length: wholeNumber(1).default(8).describe("Length of 'stars'. Default 8."),
  })
  .refine((rule) => rule.with !== 'hash' || rule.salt !== undefined, {
    path: ['salt'],
    message: "required with 'hash': a secret of at least 16 characters",
  });

/**
 * The Postgres source connector's configuration. This schema is also its reference documentation
 * (docs/source-postgres.md): every setting, its default and what it does.
 */
export const sourceConfigSchema = z.strictObject({
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected letters, digits, . _ -')
    .default('sluice')
    .describe(
      'Topics are <topicPrefix>.<schema>.<table>; also `source.name` in every event (Debezium topic.prefix). Default sluice.',
    ),
  postgres: connectionSchema,
  slot: z
    .strictObject({
      name: z
        .string()
        .regex(SLOT_NAME, 'expected 1-63 of a-z 0-9 _')
        .default('sluice')
        .describe('Default sluice.'),
      dropOnStop: flag()
        .default(false)
        .describe(
          "Drop the slot when the source stops cleanly (SIGTERM), as Debezium's slot.drop.on.stop: for sources " +
            'that do not come back (tests, one-off copies). The position goes with it: the next start makes a ' +
            'new slot and begins again as snapshot.mode says. Default false.',
        ),
    })
    .prefault({}),
  publication: z
    .strictObject({
      name: z.string().regex(IDENTIFIER).default('sluice').describe('Default sluice.'),
      autocreate: z
        .enum(['filtered', 'all_tables', 'disabled'])
        .default('filtered')
        .describe(
          "'filtered': create/extend the publication with the included tables; 'all_tables': FOR ALL TABLES; 'disabled': it must exist. Default filtered.",
        ),
      viaPartitionRoot: flag()
        .default(true)
        .describe(
          "The publication's publish_via_partition_root (Debezium publish.via.partition.root): a partitioned table is captured as one table, its partitions' changes on the root table's topic, its snapshot read once through the root. Set on the publications Sluice creates and on an existing one it extends; with autocreate 'disabled' the publication must have it when a partitioned table is captured. Default true (Debezium: false; Sluice captures the root tables the include patterns select, never partitions).",
        ),
    })
    .prefault({}),
  tables: z
    .strictObject({
      include: z
        .array(z.string().regex(TABLE_PATTERN, 'expected schema.table, * as a wildcard'))
        .default(['public.*'])
        .describe(
          "Tables captured (schema.table patterns). The snapshot reads them in this list's order (a pattern's tables by schema and name), as Debezium follows table.include.list. Default public.*.",
        ),
      exclude: z
        .array(z.string().regex(TABLE_PATTERN, 'expected schema.table, * as a wildcard'))
        .default([])
        .describe('Tables never captured, even when included. Default none.'),
      keyColumns: keyColumnsSchema
        .default([])
        .describe(
          "Key columns instead of the primary key, per table (Debezium message.key.columns): Debezium's `schema.table:c1,c2;schema.other:c` (its regular expressions' escaped dot `\\.` read as a dot) or a map of table pattern to column list; also keys a table without a primary key. The first rule matching a table applies. Default none (the primary key, else the replica identity index).",
        ),
    })
    .prefault({}),
  columns: z
    .strictObject({
      exclude: z
        .array(z.string().regex(COLUMN_PATTERN, 'expected schema.table.column'))
        .default([])
        .describe('Columns left out of events (schema.table.column patterns). Default none.'),
      mask: z.array(maskRuleSchema).default([]).describe('Columns whose values are masked. Default none.'),
      propagateSourceType: z
        .array(z.string().regex(COLUMN_PATTERN, 'expected schema.table.column'))
        .default([])
        .describe(
          'Columns whose schema carries their Postgres type as parameters __debezium.source.column.type, .length, .scale and .name (Debezium column.propagate.source.type), schema.table.column patterns. Default none.',
        ),
      propagateSourceDataTypes: z
        .array(z.string().regex(COLUMN_PATTERN, 'expected schema.table.type'))
        .default([])
        .describe(
          'The same parameters for every column of a type (Debezium datatype.propagate.source.type): schema.table.type patterns, the type as __debezium.source.column.type names it (numeric, varchar, int4…), matched without regard to case; *.*.numeric for every numeric column. Default none.',
        ),
    })
    .prefault({}),
  types: z
    .strictObject({
      decimalHandlingMode: z
        .enum(['precise', 'double', 'string'])
        .default('precise')
        .describe(
          "numeric and money (Debezium decimal.handling.mode): 'precise' Connect Decimal (VariableScaleDecimal for numeric without a scale), NaN and ±Infinity written as null with a warning; 'double' Avro double, NaN and ±Infinity kept; 'string' the plain text, NaN and ±Infinity as Debezium's NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY. Default precise.",
        ),
      hstoreHandlingMode: z
        .enum(['json', 'map'])
        .default('json')
        .describe(
          "hstore (Debezium hstore.handling.mode): 'json' an io.debezium.data.Json string; 'map' an Avro map of string to optional string. Default json.",
        ),
      intervalHandlingMode: z
        .enum(['numeric', 'string'])
        .default('numeric')
        .describe(
          "interval (Debezium interval.handling.mode): 'numeric' io.debezium.time.MicroDuration microseconds (a month 30.4375 days); 'string' io.debezium.time.Interval, ISO 8601 P<y>Y<m>M<d>DT<h>H<m>M<s>S. Default numeric.",
        ),
      timePrecisionMode: z
        .enum(['adaptive', 'adaptive_time_microseconds', 'connect'])
        .default('adaptive')
        .describe(
          "date, time and timestamp (Debezium time.precision.mode): 'adaptive' io.debezium.time types by the column's precision (Time millis or MicroTime, Timestamp millis or MicroTimestamp); 'adaptive_time_microseconds' the same but time always MicroTime; 'connect' Kafka Connect's Date (days), Time (millis) and Timestamp (millis) logical types, sub-millisecond digits dropped. timetz and timestamptz are strings in every mode. Default adaptive.",
        ),
      binaryHandlingMode: z
        .enum(['bytes', 'base64', 'base64-url-safe', 'hex'])
        .default('bytes')
        .describe(
          "bytea, and unknown types' bytes under includeUnknownDatatypes (Debezium binary.handling.mode): 'bytes' Avro bytes; 'base64' a string, standard Base64; 'base64-url-safe' a string, URL-safe Base64 with padding; 'hex' a string, lower-case hex. Default bytes.",
        ),
      moneyFractionDigits: wholeNumber(0)
        .default(2)
        .describe(
          'The scale of money values (Debezium money.fraction.digits): the Decimal scale under precise, more digits rounded half up. Default 2.',
        ),
      includeUnknownDatatypes: flag()
        .default(false)
        .describe(
          'Columns of a type Sluice has no mapping for (Debezium include.unknown.datatypes): true writes their text output as bytes; false leaves them out. Default false.',
        ),
    })
    .prefault({})
    .describe('How Postgres types are written (Debezium *.handling.mode).'),
  snapshot: z
    .strictObject({
      mode: z
        .enum(SNAPSHOT_MODES)
        .default('initial')
        .describe(
          "'initial': snapshot when the slot is new, then stream; 'never': stream only; 'when_needed': snapshot also when the slot was lost; 'initial_only': snapshot and stop. Default initial.",
        ),
      chunkSize: wholeNumber(1).default(4096).describe('Rows per primary-key chunk. Default 4096.'),
      incrementalChunkSize: wholeNumber(1)
        .default(1024)
        .describe(
          'Rows per chunk of an incremental snapshot; streaming waits for one chunk at a time. Default 1024.',
        ),
    })
    .prefault({}),
  events: z
    .strictObject({
      skippedOperations: skippedOperationsSchema
        .default(['t'])
        .describe(
          "Operations not published (Debezium skipped.operations): some of c (create), u (update), d (delete, with its tombstone), t (truncate), comma-separated or a list, or 'none'. Snapshot reads are never skipped. Default t, as Debezium.",
        ),
      processingFailureHandlingMode: z
        .enum(['fail', 'warn', 'skip'])
        .default('fail')
        .describe(
          "A row with a value its column's schema cannot carry (a NULL or NaN in a NOT NULL column, text Sluice cannot read, an unchanged TOASTed value without a placeholder) — Debezium event.processing.failure.handling.mode: 'fail' stops the source naming table, column and value; 'warn' leaves the row's events out and logs it with its LSN; 'skip' leaves them out silently. Default fail.",
        ),
      extendedHeaders: flag()
        .default(false)
        .describe(
          "Debezium's extended headers (extended.headers.enabled) on every change event and tombstone: __debezium.context.connectorLogicalName (the topic prefix), .taskId (0), .connectorName (postgresql), .runId (new at each connected run). Default false (Debezium: true): four more headers on every record.",
        ),
      tombstonesOnDelete: flag().default(true).describe('A delete is followed by a tombstone. Default true.'),
      unavailableValuePlaceholder: z
        .string()
        .default('__debezium_unavailable_value')
        .describe(
          'Stands for an unchanged TOASTed value Postgres did not send. Default __debezium_unavailable_value.',
        ),
      transactionMetadata: flag()
        .default(false)
        .describe(
          "BEGIN/END events with per-table counts on <topicPrefix>.transaction and each event's `transaction` block (Debezium provide.transaction.metadata). Default false.",
        ),
      skipOrigins: z
        .union([z.literal('all'), z.array(z.string().min(1)).min(1)])
        .optional()
        .describe(
          "Leave out transactions written with a replication origin (two-way sync: what a sink-postgres with target.replicationOrigin wrote; docs/two-way-sync.md). 'all': every change carrying an origin, filtered by Postgres (pgoutput origin 'none', Postgres 16+; refused at start on an older server), or here when signals.table is set (an incremental snapshot must see them). A list of origin names: those transactions are read and dropped here (any Postgres); a name also matches <name>#<n>, the sink's further connections. Default: none left out.",
        ),
    })
    .prefault({}),
  signals: z
    .strictObject({
      table: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$/, 'expected schema.table')
        .optional()
        .describe(
          "Debezium's signal table (signal.data.collection), created when missing and added to the publication; enables incremental snapshots (execute-snapshot, stop-snapshot). Their progress is kept in sluice_incremental_snapshot in the same schema. Default: none (no signals).",
        ),
    })
    .prefault({}),
  heartbeat: z
    .strictObject({
      intervalMs: wholeNumber(0)
        .default(10_000)
        .describe(
          'Heartbeat period; 0 turns heartbeats off (WAL may then be retained while tables are idle). Default 10000.',
        ),
      actionQuery: z
        .string()
        .optional()
        .describe(
          'SQL run on the source at each heartbeat (e.g. an UPDATE of a heartbeat table). Default: pg_logical_emit_message.',
        ),
    })
    .prefault({}),
  topics: z
    .strictObject({
      partitions: wholeNumber(1).default(3).describe('Partitions of each table topic created. Default 3.'),
      replicationFactor: wholeNumber(1).default(1).describe('Default 1 (the local stack); 3 in production.'),
    })
    .prefault({}),
  restart: z
    .strictObject({
      initialDelayMs: wholeNumber(1)
        .default(1000)
        .describe(
          'First wait after a retriable failure (Postgres, Kafka or the registry unreachable). Default 1000.',
        ),
      maxDelayMs: wholeNumber(1)
        .default(10_000)
        .describe(
          'Longest wait; the waits double up to it. A run that lasted longer than this starts the ' +
            'doubling again. Kept short (as Debezium waits 10 s before restarting on a retriable ' +
            'error) so that the source resumes soon after its dependencies return. Default 10000.',
        ),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      guarantee: z
        .enum(['exactly-once', 'at-least-once'])
        .default('exactly-once')
        .describe(
          'exactly-once: the events of one or more Postgres transactions and the source offset commit in one Kafka ' +
            'transaction, the slot confirmed after it, replayed transactions dropped on restart (KIP-618); a ' +
            'read_committed consumer sees each change once across kill -9. at-least-once: for brokers without ' +
            'transactions; after a crash, changes Kafka had and the slot had not confirmed are published again. ' +
            'Default exactly-once.',
        ),
      transactionalId: z
        .string()
        .min(1)
        .optional()
        .describe(
          'The Kafka transactional id; a second process with the same id fences the first, which stops. Default ' +
            'sluice-source-postgres.<topicPrefix>.<slot.name>.',
        ),
      offsetsTopic: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name')
        .optional()
        .describe(
          'The compacted topic of committed positions, key ["source-postgres","<topicPrefix>","<slot>"] (as ' +
            "Kafka Connect's offsets topics), one per source so that no other producer's open transaction " +
            'delays its start. Created if missing. Default <topicPrefix>.offsets.',
        ),
      commitIntervalMs: wholeNumber(0)
        .default(20)
        .describe(
          'Least time between commits: under load several Postgres transactions share one Kafka transaction; a ' +
            "quiet source commits at once. Default 20 (Kafka Streams' commit.interval.ms under EOS is 100: measured " +
            'here, 20 halves the median end-to-end latency at 1,000 changes/s and costs no drain throughput).',
        ),
      transactionTimeoutMs: wholeNumber(1000)
        .default(600_000)
        .describe(
          'How long the broker keeps a transaction open (at most its transaction.max.timeout.ms, 15 min by default). A ' +
            'Postgres transaction, or the initial snapshot, is one Kafka transaction; one still being sent after half ' +
            'of this is committed in parts (at least once for it, logged). After a crash without a restart, ' +
            "read_committed consumers of the source's topics wait up to this long. Default 600000.",
        ),
    })
    .prefault({})
    .describe('Delivery guarantee into Kafka.'),
  publishing: z
    .strictObject({
      maxBatchRecords: wholeNumber(1)
        .default(5000)
        .describe('Events per Kafka request at most (over all partitions). Default 5000.'),
      maxBatchBytes: wholeNumber(1)
        .default(900_000)
        .describe(
          "Bytes (key, value, headers, record framing) per partition in one Kafka request at most; keep it under the topics' max.message.bytes (Kafka's default 1 MiB). Default 900000.",
        ),
      lingerMs: wholeNumber(0).default(2).describe('How long a batch waits to fill. Default 2.'),
      maxPendingEvents: wholeNumber(1)
        .default(10_000)
        .describe(
          'Events read and not yet acknowledged by Kafka before reading pauses: the events a backlog may hold in ' +
            'memory (about half a second of a drain at 20,000 events/s, enough to keep Kafka busy; the ' +
            "process's resident memory is larger, see Memory in docs/source-postgres.md). Default 10000.",
        ),
      sendTimeoutMs: wholeNumber(1000)
        .default(30_000)
        .describe(
          'How long one Kafka request (its retries included) may take. A send still unsettled then ' +
            'restarts publishing from the confirmed position with a fresh producer (retrying, with ' +
            'backoff); nothing is lost, the unacknowledged events are read again. Default 30000.',
        ),
    })
    .prefault({}),
  liveness: livenessConfigSchema,
});

export type SourceConfig = z.output<typeof sourceConfigSchema>;
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;
