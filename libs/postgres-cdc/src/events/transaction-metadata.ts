import { compileAvroCodec, type AvroCodec, type SchemaRegistryClient } from '@sluice/schema';
import type { Lsn } from '../lsn/lsn';
import type { OutgoingEvent } from '../publishing/change-event-publisher';
import type { TransactionBlock } from './source-schema';

/**
 * Key and value of Debezium's transaction metadata topic (`<prefix>.transaction`), as AvroConverter
 * writes `io.debezium.connector.common.TransactionMetadataKey/Value`. The same schemas are kept in
 * `schemas/sluice.transaction-*` (a spec checks they agree).
 */
export const TRANSACTION_KEY_SCHEMA = {
  type: 'record',
  name: 'TransactionMetadataKey',
  namespace: 'io.debezium.connector.common',
  doc: 'Key of the transaction metadata topic (<prefix>.transaction), as Debezium writes it.',
  fields: [{ name: 'id', type: 'string' }],
  'connect.name': 'io.debezium.connector.common.TransactionMetadataKey',
} as const;

export const TRANSACTION_VALUE_SCHEMA = {
  type: 'record',
  name: 'TransactionMetadataValue',
  namespace: 'io.debezium.connector.common',
  doc: 'BEGIN and END markers of a source transaction with per-table event counts, as Debezium writes them.',
  fields: [
    { name: 'status', type: 'string' },
    { name: 'id', type: 'string' },
    { name: 'event_count', type: ['null', 'long'], default: null },
    {
      name: 'data_collections',
      type: [
        'null',
        {
          type: 'array',
          items: {
            type: 'record',
            name: 'ConnectDefault',
            namespace: 'io.confluent.connect.avro',
            fields: [
              { name: 'data_collection', type: 'string' },
              { name: 'event_count', type: 'long' },
            ],
          },
        },
      ],
      default: null,
    },
    { name: 'ts_ms', type: 'long' },
  ],
  'connect.name': 'io.debezium.connector.common.TransactionMetadataValue',
} as const;

interface TransactionMetadataValue {
  status: 'BEGIN' | 'END';
  id: string;
  event_count: number | null;
  data_collections: Array<{ data_collection: string; event_count: number }> | null;
  ts_ms: number;
}

/**
 * Debezium's `provide.transaction.metadata`: a BEGIN and an END event per source transaction on
 * `<prefix>.transaction` (keyed by the transaction id), and each change event's `transaction` block
 * (id, total_order, data_collection_order), so a consumer can tell when it has seen a whole
 * transaction. Ids are `<txId>:<LSN of the BEGIN message>` (the transaction's first WAL record), as
 * the `transaction.id` of Debezium's change events (the conformance suite compares them), the same
 * on BEGIN, END and every event of the transaction.
 */
export class TransactionMetadata {
  private readonly keyCodec: AvroCodec;
  private readonly valueCodec: AvroCodec;

  private constructor(
    readonly topic: string,
    private readonly keyId: number,
    private readonly valueId: number,
  ) {
    this.keyCodec = compileAvroCodec(TRANSACTION_KEY_SCHEMA);
    this.valueCodec = compileAvroCodec(TRANSACTION_VALUE_SCHEMA);
  }

  /** Registers `<prefix>.transaction-key/-value` and makes sure the topic exists. */
  static async create(
    topicPrefix: string,
    registry: SchemaRegistryClient,
    ensureTopic: (topic: string) => Promise<void>,
  ): Promise<TransactionMetadata> {
    const topic = `${topicPrefix}.transaction`;
    await ensureTopic(topic);
    const keyId = await registry.register(`${topic}-key`, JSON.stringify(TRANSACTION_KEY_SCHEMA));
    const valueId = await registry.register(`${topic}-value`, JSON.stringify(TRANSACTION_VALUE_SCHEMA));
    return new TransactionMetadata(topic, keyId, valueId);
  }

  /** Starts counting the events of one source transaction. */
  open(xid: number, beginLsn: Lsn, commitTimeMicros: bigint): TransactionEvents {
    return new TransactionEvents(this, `${xid}:${beginLsn.toBigInt()}`, Number(commitTimeMicros / 1000n));
  }

  /** @internal encodes one BEGIN or END event. */
  encode(value: TransactionMetadataValue): OutgoingEvent {
    return {
      topic: this.topic,
      key: this.keyCodec.encodeFramed(this.keyId, { id: value.id }),
      value: this.valueCodec.encodeFramed(this.valueId, value),
    };
  }
}

/** The events of one transaction so far: hands out each event's block, and the BEGIN/END records. */
export class TransactionEvents {
  private total = 0;
  private readonly perTable = new Map<string, number>();

  constructor(
    private readonly metadata: TransactionMetadata,
    readonly id: string,
    private readonly tsMs: number,
  ) {}

  /** True before the first data event: the BEGIN is due (a transaction without captured changes gets none). */
  get empty(): boolean {
    return this.total === 0;
  }

  /** Counts one data event of `table` (schema.table) and returns its `transaction` block. */
  next(table: string): TransactionBlock {
    this.total += 1;
    const inTable = (this.perTable.get(table) ?? 0) + 1;
    this.perTable.set(table, inTable);
    return { id: this.id, total_order: this.total, data_collection_order: inTable };
  }

  begin(): OutgoingEvent {
    return this.metadata.encode({
      status: 'BEGIN',
      id: this.id,
      event_count: null,
      data_collections: null,
      ts_ms: this.tsMs,
    });
  }

  end(): OutgoingEvent {
    return this.metadata.encode({
      status: 'END',
      id: this.id,
      event_count: this.total,
      data_collections: [...this.perTable].map(([data_collection, event_count]) => ({
        data_collection,
        event_count,
      })),
      ts_ms: this.tsMs,
    });
  }
}
