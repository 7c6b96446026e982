import { ConfigError } from '@sluice/errors';

/**
 * A Debezium Postgres connector configuration (the Kafka Connect connector JSON, or its `config`
 * map) as a source-postgres configuration, setting by setting (docs/source-postgres.md, "Debezium
 * option names"). What has no Sluice equivalent is listed with the reason, never dropped silently.
 */
export interface DebeziumTranslation {
  /** The source-postgres app configuration: only what the connector set, the rest stays default. */
  readonly config: Record<string, unknown>;
  /** Debezium settings not translated, each with why and what to do instead. */
  readonly untranslated: readonly { readonly key: string; readonly value: string; readonly reason: string }[];
  /** Translated, but worth a look (a literal password, a regular expression turned into a pattern). */
  readonly notes: readonly string[];
}

export const DEBEZIUM_POSTGRES_CONNECTOR = 'io.debezium.connector.postgresql.PostgresConnector';

type Setter = (value: string, out: Translator) => void;

/** Debezium's regular expressions become Sluice's `*` patterns when they are that simple. */
function patterns(key: string, value: string, out: Translator): string[] | undefined {
  const result: string[] = [];
  for (const raw of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    // `\.` is a dot; `.*` (and `.+`: names are never empty) any text; a lone `.` (any character) is taken as the dot it nearly always means.
    const pattern = raw
      .split('\\.')
      .map((part) => part.replace(/\.[*+]/g, '*'))
      .join('.');
    if (/[\\[\](){}+?|^$]/.test(pattern)) {
      out.skip(
        key,
        value,
        `the regular expression ${raw} is not a plain name or .* wildcard: write it as * patterns`,
      );
      return undefined;
    }
    if (pattern !== raw) out.note(`${key}: the regular expression ${raw} became the pattern ${pattern}`);
    result.push(pattern);
  }
  return result;
}

const bool = (key: string, value: string, out: Translator): boolean | undefined => {
  if (value === 'true' || value === 'false') return value === 'true';
  out.skip(key, value, 'expected true or false');
  return undefined;
};

const integer = (key: string, value: string, out: Translator): number | undefined => {
  if (/^\d+$/.test(value)) return Number(value);
  out.skip(key, value, 'expected a whole number');
  return undefined;
};

const oneOf =
  (path: string, allowed: readonly string[], renamed: Record<string, string> = {}): Setter =>
  (value, out) => {
    const mapped = renamed[value] ?? value;
    if (allowed.includes(mapped)) out.set(path, mapped);
    else out.skip(out.key, value, `Sluice's ${path} takes ${allowed.join(', ')}`);
  };

const text =
  (path: string): Setter =>
  (value, out) =>
    out.set(path, value);

const SNAPSHOT_MODES = ['initial', 'never', 'when_needed', 'initial_only'];

const SETTINGS: Record<string, Setter> = {
  // The connector itself (checked above): source-postgres is the app.
  'connector.class': () => undefined,
  name: () => undefined,
  'topic.prefix': text('topicPrefix'),
  'database.server.name': (value, out) => {
    out.set('topicPrefix', value);
    out.note('database.server.name (Debezium 1.x) became topicPrefix (topic.prefix)');
  },
  'database.hostname': text('postgres.host'),
  'database.port': (value, out) => out.set('postgres.port', integer(out.key, value, out)),
  'database.user': text('postgres.user'),
  'database.password': (value, out) => {
    if (/^\$\{[^}]+:/.test(value)) {
      out.skip(
        out.key,
        value,
        'a Kafka Connect config provider: set postgres.password to ${ENV_VAR} instead',
      );
      return;
    }
    out.set('postgres.password', value);
    if (!/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value))
      out.note('postgres.password is a literal: put it in an environment variable and write ${VAR}');
  },
  'database.dbname': text('postgres.database'),
  'database.sslmode': oneOf('postgres.ssl.mode', ['disable', 'require', 'verify-ca', 'verify-full']),
  'database.sslrootcert': text('postgres.ssl.ca'),
  'database.sslcert': text('postgres.ssl.cert'),
  'database.sslkey': text('postgres.ssl.key'),
  'plugin.name': (value, out) => {
    if (value !== 'pgoutput')
      out.skip(out.key, value, 'Sluice decodes pgoutput only (built into Postgres 10+)');
  },
  'slot.name': text('slot.name'),
  'slot.drop.on.stop': (value, out) => out.set('slot.dropOnStop', bool(out.key, value, out)),
  'publication.name': text('publication.name'),
  'publication.autocreate.mode': oneOf('publication.autocreate', ['filtered', 'all_tables', 'disabled']),
  'publish.via.partition.root': (value, out) =>
    out.set('publication.viaPartitionRoot', bool(out.key, value, out)),
  'schema.include.list': (value, out) =>
    out.add(
      'tables.include',
      patterns(out.key, value, out)?.map((s) => `${s}.*`),
    ),
  'schema.exclude.list': (value, out) =>
    out.add(
      'tables.exclude',
      patterns(out.key, value, out)?.map((s) => `${s}.*`),
    ),
  'table.include.list': (value, out) => out.add('tables.include', patterns(out.key, value, out)),
  'table.exclude.list': (value, out) => out.add('tables.exclude', patterns(out.key, value, out)),
  'column.exclude.list': (value, out) => out.add('columns.exclude', patterns(out.key, value, out)),
  'message.key.columns': text('tables.keyColumns'),
  'column.propagate.source.type': (value, out) =>
    out.set('columns.propagateSourceType', patterns(out.key, value, out)),
  // Debezium matches `schema.table.type`: its usual `.+\.NUMERIC` is `*.*.NUMERIC` here.
  'datatype.propagate.source.type': (value, out) =>
    out.set(
      'columns.propagateSourceDataTypes',
      patterns(out.key, value, out)?.map((p) =>
        p.split('.').length === 2 && p.startsWith('*.') ? `*.${p}` : p,
      ),
    ),
  'skipped.operations': text('events.skippedOperations'),
  'extended.headers.enabled': (value, out) => out.set('events.extendedHeaders', bool(out.key, value, out)),
  'event.processing.failure.handling.mode': oneOf('events.processingFailureHandlingMode', [
    'fail',
    'warn',
    'skip',
  ]),
  'decimal.handling.mode': oneOf('types.decimalHandlingMode', ['precise', 'double', 'string']),
  'hstore.handling.mode': oneOf('types.hstoreHandlingMode', ['json', 'map']),
  'interval.handling.mode': oneOf('types.intervalHandlingMode', ['numeric', 'string']),
  'time.precision.mode': oneOf('types.timePrecisionMode', [
    'adaptive',
    'adaptive_time_microseconds',
    'connect',
  ]),
  'binary.handling.mode': oneOf('types.binaryHandlingMode', ['bytes', 'base64', 'base64-url-safe', 'hex']),
  'include.unknown.datatypes': (value, out) =>
    out.set('types.includeUnknownDatatypes', bool(out.key, value, out)),
  'money.fraction.digits': (value, out) => out.set('types.moneyFractionDigits', integer(out.key, value, out)),
  'snapshot.mode': oneOf('snapshot.mode', SNAPSHOT_MODES, { no_data: 'never' }),
  'snapshot.fetch.size': (value, out) => out.set('snapshot.chunkSize', integer(out.key, value, out)),
  'incremental.snapshot.chunk.size': (value, out) =>
    out.set('snapshot.incrementalChunkSize', integer(out.key, value, out)),
  'tombstones.on.delete': (value, out) => out.set('events.tombstonesOnDelete', bool(out.key, value, out)),
  'unavailable.value.placeholder': text('events.unavailableValuePlaceholder'),
  'provide.transaction.metadata': (value, out) =>
    out.set('events.transactionMetadata', bool(out.key, value, out)),
  'signal.data.collection': text('signals.table'),
  'heartbeat.interval.ms': (value, out) => out.set('heartbeat.intervalMs', integer(out.key, value, out)),
  'heartbeat.action.query': text('heartbeat.actionQuery'),
  'value.converter.schema.registry.url': text('registry.url'),
  'key.converter.schema.registry.url': text('registry.url'),
};

/** Connect settings that have a reason not to be translated, by key or prefix. */
const NOT_APPLICABLE: Array<[RegExp, string]> = [
  [/^tasks\.max$/, 'Debezium runs one task per Postgres connector too; one source-postgres process per slot'],
  [
    /^(key|value)\.converter(\..*)?$/,
    'Sluice writes Avro with the schema registry (registry.url); its events are Debezium-shaped',
  ],
  [
    /^transforms(\..*)?$/,
    'single message transforms become a transformer pipeline (e.g. the unwrap step for ExtractNewRecordState; docs/pipelines.md)',
  ],
  [/^errors\./, 'dead letters are per consumer in Sluice (docs/dlq.md); a source fails visibly instead'],
  [/^(producer|consumer)\.override\./, "set Kafka client settings in the app's kafka section"],
  [/^topic\.creation\./, 'Sluice creates its topics itself (topics.partitions, topics.replicationFactor)'],
  [/^column\.mask\./, 'masking differs (HMAC-SHA256 with a key, or stars): write columns.mask rules'],
];

class Translator {
  readonly config: Record<string, unknown> = {};
  readonly untranslated: { key: string; value: string; reason: string }[] = [];
  readonly notes: string[] = [];
  /** The Debezium key being translated. */
  key = '';

  set(path: string, value: unknown): void {
    if (value === undefined) return;
    const parts = path.split('.');
    let node = this.config;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }

  /** Appends to a list (`schema.include.list` and `table.include.list` both feed tables.include). */
  add(path: string, values: string[] | undefined): void {
    if (values === undefined) return;
    const parts = path.split('.');
    let node = this.config;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    const last = parts.at(-1)!;
    node[last] = [...((node[last] as string[] | undefined) ?? []), ...values];
  }

  skip(key: string, value: string, reason: string): void {
    this.untranslated.push({ key, value, reason });
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

/**
 * Translates a Debezium Postgres connector configuration. `input` is the parsed connector JSON
 * (`{ name, config }`) or the config map itself; anything else, or another connector class, is a
 * ConfigError naming what is wrong.
 */
export function translateDebeziumConfig(
  input: unknown,
  source = 'the connector configuration',
): DebeziumTranslation {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(input))
    throw new ConfigError(`${source}: expected a JSON object (a Kafka Connect connector)`, source);
  const settings = isMap(input['config']) ? input['config'] : input;
  const connector = settings['connector.class'];
  if (connector !== undefined && connector !== DEBEZIUM_POSTGRES_CONNECTOR)
    throw new ConfigError(
      `${source}: connector.class is ${String(connector)}; only ${DEBEZIUM_POSTGRES_CONNECTOR} translates to source-postgres`,
      source,
      'connector.class',
    );
  const out = new Translator();
  for (const [key, raw] of Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))) {
    if (raw !== null && typeof raw === 'object')
      throw new ConfigError(`${source}: ${key} is not a string, number or boolean`, source, key);
    const value = String(raw);
    out.key = key;
    const setter = SETTINGS[key];
    if (setter) {
      setter(value, out);
      continue;
    }
    const reason = NOT_APPLICABLE.find(([pattern]) => pattern.test(key))?.[1];
    out.skip(key, value, reason ?? 'no Sluice equivalent is known for it');
  }
  if (out.config['topicPrefix'] === undefined)
    out.note('no topic.prefix: Sluice uses topicPrefix sluice (Debezium requires one)');
  out.note('kafka.brokers is a Kafka Connect worker setting: set it in the kafka section');
  return { config: out.config, untranslated: out.untranslated, notes: out.notes };
}
