import type { AvroType, RecordType } from '@sluice/schema';
import { recordOf, unwrapNullable } from '../../schema/avro-builder';
import { keyText } from './stateful-support';
import type { TableRow } from './versioned-table';

/** What a `join` step asks of its table. */
export interface JoinTableSpec {
  /** The table topic (compacted, or a Debezium CDC topic). */
  readonly topic: string;
  /** true: every task reads every partition; false: co-partitioned with the input (checked at start). */
  readonly global: boolean;
  /** Live records wait until this long after their timestamp before the table is caught up. */
  readonly graceMs: number;
  /** A table that cannot be read to its end within this long fails the record with a retriable error. */
  readonly catchUpTimeoutMs: number;
  /** The step's place in the pipeline file, for errors. */
  readonly label: string;
}

/**
 * What the pipeline is given when it starts (the transformer's prepare): the input topics it reads
 * and how a `join` gets its table (the transformer's follows the table topic in Kafka).
 */
export interface StepStartContext {
  readonly inputTopics: readonly string[];
  readonly tables: JoinTableFactory;
}

/**
 * The table side of a stream–table join (the transformer's is Kafka-backed, `KafkaJoinTable`).
 * `start` reads the table up to date (restore) and learns its row schema; `lookup` answers the row of
 * a key current at a stream record's timestamp, having first read the table as far as the answer
 * needs. Table keys and lookup keys are compared as `joinKeyText`.
 */
/** Where a lookup's stream record stands: its partition, its timestamp, when it was fetched. */
export interface JoinLookupAt {
  readonly partition: number;
  /** The record's Kafka timestamp (epoch ms): the table version it joins. */
  readonly timestamp: number;
  /** When its batch arrived from Kafka (performance.now()); absent: the lookup's own call. */
  readonly fetchedAt?: number;
}

export interface JoinTable {
  start(context: { readonly inputTopics: readonly string[] }): Promise<void>;
  /** The Avro record type of the table's rows (after `start`). */
  rowSchema(): RecordType;
  lookup(key: string, at: JoinLookupAt): Promise<TableRow | undefined>;
  close(): Promise<void>;
}

export type JoinTableFactory = (spec: JoinTableSpec) => JoinTable;

/**
 * A key as joins compare it: a record with one field (a Debezium key `{ id: 7 }`) is that field's
 * value, bytes are UTF-8 text, the rest `keyText` (strings as they are, other values canonical JSON).
 */
export function joinKeyText(key: unknown): string {
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  // A long may decode as a bigint on one side and a number on the other.
  if (typeof key === 'bigint')
    return Number.isSafeInteger(Number(key)) ? String(Number(key)) : key.toString();
  if (key !== null && typeof key === 'object' && !Array.isArray(key) && !(key instanceof Date)) {
    const values = Object.values(key as Record<string, unknown>);
    if (values.length === 1) return joinKeyText(values[0]);
  }
  return keyText(key);
}

/** A Debezium change event's value schema: a record with `op` and `after`. */
function envelopeAfter(value: RecordType): AvroType | undefined {
  const after = value.fields.find((f) => f.name === 'after');
  return after && value.fields.some((f) => f.name === 'op') ? after.type : undefined;
}

/**
 * How a table topic's values become rows, decided once from its value schema: a Debezium change
 * event is unwrapped (its `after`; `op: d` or a null `after` deletes the key), any other record is
 * the row itself. A null value (a tombstone) always deletes.
 */
export class TableRowShape {
  readonly rowType: RecordType;
  private readonly envelope: boolean;

  constructor(valueSchema: AvroType, topic: string) {
    const value = recordOf(valueSchema, `the values of the table topic ${topic}`);
    const after = envelopeAfter(value);
    this.envelope = after !== undefined;
    this.rowType = after
      ? recordOf(unwrapNullable(after).type, `the after of the table topic ${topic}`)
      : value;
  }

  rowOf(value: unknown): TableRow {
    if (value === null || value === undefined) return null;
    if (!this.envelope) return value as Readonly<Record<string, unknown>>;
    const event = value as { op?: unknown; after?: unknown };
    if (event.op === 'd' || event.after === null || event.after === undefined) return null;
    return event.after as Readonly<Record<string, unknown>>;
  }
}
