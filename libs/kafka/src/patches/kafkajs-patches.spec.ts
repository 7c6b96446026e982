// The fixes patches/kafkajs+2.2.4.patch makes to kafkajs (see patches/README.md), checked on the
// installed copy: a patch that failed to apply, or one that changed what goes on the wire, fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's internals have no types */
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: Array<{ key: string }>;
  partitioner: (args: { message: { key: string } }) => number;
}) => Record<string, Array<{ key: string }>>;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: unknown) => {
  buffer: Buffer;
};
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  context: unknown,
) => { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[] | null> };
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => {
  readVarInt(): number;
  readUVarInt(): number;
  readInt32(): number;
  readString(): string;
  readBytes(): Buffer;
};
interface KafkaEncoder {
  writeVarInt(value: number): KafkaEncoder;
  writeVarLong(value: number | string): KafkaEncoder;
  writeUVarInt(value: number): KafkaEncoder;
  writeInt16(value: number): KafkaEncoder;
  writeInt32(value: number): KafkaEncoder;
  writeString(value: string | null): KafkaEncoder;
  writeBytes(value: Buffer): KafkaEncoder;
  writeEncoder(value: unknown): KafkaEncoder;
  writeArray(value: unknown[]): KafkaEncoder;
  size(): number;
  readonly buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder') as (new (initialSize?: number) => KafkaEncoder) & {
  sizeOfVarLong(value: number | string): number;
};
const Long = require('kafkajs/src/utils/long') as { fromValue(value: number | bigint | string): unknown };
const createEosManager = require('kafkajs/src/producer/eosManager') as (args: {
  logger: unknown;
  cluster: unknown;
  transactional: boolean;
  transactionalId: string;
  retry?: unknown;
}) => TransactionManager;
const groupingSource = require('node:fs').readFileSync(
  require.resolve('kafkajs/src/producer/groupMessagesPerPartition'),
  'utf8',
) as string;
const createFetcher = require('kafkajs/src/consumer/fetcher') as (args: {
  nodeId: number;
  workerQueue: { push(...batches: unknown[]): Promise<void> };
  partitionAssignments: Map<string, number>;
  fetch: (nodeId: number) => Promise<Array<{ topic: string; partition: number }>>;
  logger: unknown;
}) => { start(): Promise<void>; stop(): Promise<void> };
const Runner = require('kafkajs/src/consumer/runner') as new (options: {
  logger: unknown;
  consumerGroup: {
    connect(): Promise<void>;
    joinAndSync(): Promise<void>;
    leave(): Promise<void>;
    getNodeIds(): number[];
    cluster: { disconnect(): Promise<void> };
  };
  instrumentationEmitter: { emit(): void };
  onCrash: (error: Error) => void;
  concurrency?: number;
}) => { start(): Promise<void>; stop(): Promise<void>; readonly running: boolean };
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: {
  maxInFlightRequests: number | null;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: unknown;
}) => {
  push(request: {
    entry: { apiKey: number; apiName: string; apiVersion: number; correlationId: number } & Settle;
    expectResponse: boolean;
    sendRequest: () => void;
  }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  settleAbandoning(abandonable: (apiKey: number) => boolean, error: Error): Promise<number>;
  maybeThrottle(clientSideThrottleTime: number): void;
  destroy(): void;
  readonly throttleCheckTimeoutId: unknown;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface Settle {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const quietLogger = () => {
  const logger = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => logger };
  return logger;
};

interface TransactionManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  addPartitionsToTransaction(topics: unknown[]): Promise<void>;
  sendOffsets(args: { consumerGroupId: string; topics: unknown[] }): Promise<void>;
  addOffsetsToTransaction(args: { consumerGroupId: string }): Promise<void>;
  commitOffsetsInTransaction(args: { consumerGroupId: string; topics: unknown[] }): Promise<void>;
  commit(): Promise<void>;
}

/** A cluster of one broker that counts FindCoordinator lookups and fails the requests it is told to. */
function coordinatorCluster() {
  const lookups: string[] = [];
  const requests: string[] = [];
  const failNext = new Set<string>();
  /** Requests the coordinator refuses this many more times as busy (CONCURRENT_TRANSACTIONS). */
  const busy = new Map<string, number>();
  const answer = (api: string) => async () => {
    requests.push(api);
    const refusals = busy.get(api) ?? 0;
    if (refusals > 0) {
      busy.set(api, refusals - 1);
      throw Object.assign(new Error(`${api}: concurrent transactions`), {
        type: 'CONCURRENT_TRANSACTIONS',
        retriable: true,
      });
    }
    if (failNext.delete(api))
      throw Object.assign(new Error(`${api}: not the coordinator`), { type: 'NOT_COORDINATOR' });
    return api === 'initProducerId' ? { producerId: 7, producerEpoch: 0 } : {};
  };
  const broker = {
    nodeId: 1,
    initProducerId: answer('initProducerId'),
    addPartitionsToTxn: answer('addPartitionsToTxn'),
    addOffsetsToTxn: answer('addOffsetsToTxn'),
    txnOffsetCommit: answer('txnOffsetCommit'),
    endTxn: answer('endTxn'),
  };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const cluster = {
    retry: { retries: 2, initialRetryTime: 1, maxRetryTime: 5 },
    refreshMetadataIfNecessary: async () => undefined,
    findBroker: async () => broker,
    findGroupCoordinator: async ({
      groupId,
      coordinatorType,
    }: {
      groupId: string;
      coordinatorType: number;
    }) => {
      lookups.push(`${coordinatorType}:${groupId}`);
      return broker;
    },
  };
  const manager = createEosManager({
    logger: { ...logger, namespace: () => logger },
    cluster,
    transactional: true,
    transactionalId: 'tx',
    retry: { retries: 5, initialRetryTime: 1, maxRetryTime: 5 },
  });
  const transaction = async (partition: number) => {
    manager.beginTransaction();
    await manager.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition }] }]);
    await manager.sendOffsets({
      consumerGroupId: 'g',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '1' }] }],
    });
    await manager.commit();
  };
  return { manager, transaction, lookups, requests, failNext, busy };
}

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's internals have no types */
const batchChecksum = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;
const tableChecksum = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (buffer: Buffer) => number;
const nativeChecksum = (require('@node-rs/crc32') as { crc32c(buffer: Buffer): number }).crc32c;
const createRequest = require('kafkajs/src/protocol/request') as (args: {
  correlationId: number;
  clientId: string;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<unknown> };
}) => Promise<{ buffers: Buffer[]; size: number }>;
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: {
  acks: number;
  timeout: number;
  transactionalId: string | null;
  producerId: unknown;
  producerEpoch: number;
  topicData: ProduceTopicData[];
}) => { encode(): Promise<{ buffer: Buffer }> };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(args: Record<string, unknown>): Promise<{ size(): number }>;
};

interface ProduceMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer | string[]>;
  timestamp?: string;
}
interface ProduceTopicData {
  topic: string;
  partitions: Array<{ partition: number; firstSequence: number; messages: ProduceMessage[] }>;
}

/**
 * An uncompressed produce request (v3 to v7) as kafkajs 2.2.4 composes it: a record batch per
 * partition (RecordBatch), wrapped in partition, topic and request encoders.
 */
async function upstreamProduceRequest(args: Parameters<typeof produceRequest>[0]): Promise<Buffer> {
  const topics = [];
  for (const { topic, partitions } of args.topicData) {
    const encodedPartitions = [];
    for (const { partition, firstSequence, messages } of partitions) {
      const now = Date.now();
      const stamps = messages.map((m) => m.timestamp).filter((t) => t != null);
      stamps.sort();
      const timestamps: Array<string | number> = stamps.length === 0 ? [now] : stamps;
      const first = timestamps[0]!;
      const records = messages.map((message, i) =>
        encodeRecord({
          ...message,
          offsetDelta: i,
          timestampDelta: Number(message.timestamp ?? now) - Number(first),
        }),
      );
      const batch = await RecordBatch({
        records,
        firstTimestamp: first,
        maxTimestamp: timestamps.at(-1),
        producerId: args.producerId,
        producerEpoch: args.producerEpoch,
        firstSequence,
        transactional: !!args.transactionalId,
        lastOffsetDelta: records.length - 1,
      });
      encodedPartitions.push(
        new Encoder().writeInt32(partition).writeInt32(batch.size()).writeEncoder(batch),
      );
    }
    topics.push(new Encoder().writeString(topic).writeArray(encodedPartitions));
  }
  return new Encoder()
    .writeString(args.transactionalId)
    .writeInt16(args.acks)
    .writeInt32(args.timeout)
    .writeArray(topics).buffer;
}

const checksumSource = require('node:fs').readFileSync(
  require.resolve('kafkajs/src/protocol/recordBatch/crc32C'),
  'utf8',
) as string;
/* eslint-enable @typescript-eslint/no-require-imports */

function roundTrip(record: { key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }) {
  const bytes = encodeRecord({ offsetDelta: 3, timestampDelta: 1_000, ...record }).buffer;
  const decoder = new Decoder(bytes);
  const length = decoder.readVarInt();
  const decoded = decodeRecord(decoder, { firstOffset: '0', firstTimestamp: '0', magicByte: 2 });
  return { bytes, length, decoded };
}

describe('kafkajs as patched (patches/kafkajs+2.2.4.patch)', () => {
  it('the patch is applied: messages are grouped by pushing, not by copying arrays', () => {
    assert.doesNotMatch(groupingSource, /\[\.\.\.current, message\]/);
  });

  it('groups a batch per partition, each partition in the order of the batch', () => {
    const messages = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i}` }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{}, {}, {}],
      messages,
      partitioner: ({ message }) => Number(message.key.slice(1)) % 3,
    });
    assert.deepEqual(Object.keys(grouped).sort(), ['0', '1', '2']);
    for (const [partition, list] of Object.entries(grouped)) {
      assert.deepEqual(
        list,
        messages.filter((_, i) => i % 3 === Number(partition)),
      );
    }
    assert.deepEqual(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 }),
      {},
    );
  });

  it('encodes records sized to their content that decode to what was sent', () => {
    const long = 'é'.repeat(200); // multi-byte characters, a two-byte length varint
    const cases = [
      { key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: 'b' } },
      { key: null, value: null },
      { key: Buffer.alloc(70_000, 1), value: Buffer.alloc(3, 2), headers: { [long]: Buffer.alloc(300, 7) } },
      {
        key: Buffer.from('k'),
        value: Buffer.alloc(0),
        headers: { 'sluice.op': 'u', multi: ['x', 'y'] },
      },
    ];
    for (const record of cases) {
      const { bytes, length, decoded } = roundTrip(record);
      assert.equal(
        bytes.length,
        length + (length < 64 ? 1 : length < 8192 ? 2 : 3),
        'length prefix covers the body',
      );
      assert.deepEqual(decoded.key, record.key);
      assert.deepEqual(decoded.value, record.value);
      const expected = Object.fromEntries(
        Object.entries(record.headers ?? {}).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v as string),
        ]),
      );
      assert.deepEqual(decoded.headers, expected);
    }
  });

  it('finds the transaction and group coordinators once, not before every request of every transaction', async () => {
    const { manager, transaction, lookups, requests } = coordinatorCluster();
    await manager.initProducerId();
    for (let i = 0; i < 5; i++) await transaction(i % 3);
    assert.deepEqual(lookups, ['1:tx', '0:g'], 'one lookup of each coordinator');
    assert.equal(requests.filter((r) => r === 'endTxn').length, 5, 'every transaction still ends');
  });

  it('finds a coordinator again after a request to it failed', async () => {
    const { manager, transaction, lookups, failNext } = coordinatorCluster();
    await manager.initProducerId();
    await transaction(0);
    manager.beginTransaction();
    const partitions = [{ topic: 'out', partitions: [{ partition: 1 }] }];
    failNext.add('addPartitionsToTxn');
    await assert.rejects(
      manager.addPartitionsToTransaction(partitions),
      /addPartitionsToTxn: not the coordinator/,
    );
    await manager.addPartitionsToTransaction(partitions);
    failNext.add('txnOffsetCommit'); // retried inside sendOffsets, after a new lookup
    await manager.sendOffsets({
      consumerGroupId: 'g',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '2' }] }],
    });
    await manager.commit();
    await transaction(2);
    assert.deepEqual(lookups, ['1:tx', '0:g', '1:tx', '0:g']);
  });

  it("sends sendOffsets' halves apart; the first retries a busy coordinator and fails on any other error", async () => {
    const { manager, requests, failNext, busy } = coordinatorCluster();
    await manager.initProducerId();
    manager.beginTransaction();
    // Sent as the transaction begins, the previous commit's markers may still be being written.
    busy.set('addOffsetsToTxn', 2);
    await manager.addOffsetsToTransaction({ consumerGroupId: 'g' });
    assert.equal(requests.filter((r) => r === 'addOffsetsToTxn').length, 3, 'refused twice, then added');
    await manager.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 0 }] }]);
    await manager.commitOffsetsInTransaction({
      consumerGroupId: 'g',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }],
    });
    await manager.commit();
    assert.deepEqual(requests.slice(1), [
      'addOffsetsToTxn',
      'addOffsetsToTxn',
      'addOffsetsToTxn',
      'addPartitionsToTxn',
      'txnOffsetCommit',
      'endTxn',
    ]);
    manager.beginTransaction();
    failNext.add('addOffsetsToTxn');
    await assert.rejects(manager.addOffsetsToTransaction({ consumerGroupId: 'g' }), /not the coordinator/);
    assert.equal(requests.filter((r) => r === 'addOffsetsToTxn').length, 4, 'not retried');
  });

  it('stops a fetcher without waiting out its fetch in flight, whose records are then dropped', async () => {
    const pushed: unknown[] = [];
    let answer: (batches: Array<{ topic: string; partition: number }>) => void = () => undefined;
    const fetcher = createFetcher({
      nodeId: 1,
      workerQueue: { push: async (...batches) => void pushed.push(...batches) },
      partitionAssignments: new Map(),
      // A long poll that answers only when told to.
      fetch: () => new Promise((resolve) => (answer = resolve)),
      logger: quietLogger(),
    });
    const running = fetcher.start();
    await new Promise((r) => setImmediate(r));
    await fetcher.stop();
    await running;
    answer([{ topic: 'in', partition: 0 }]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(pushed, [], 'the late batch was not handed to a worker');
  });

  it('keeps no fetched batch reachable once handed to a worker (a race against one stop promise kept them all)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const fetched: Array<WeakRef<object>> = [];
    let fetches = 0;
    let release: () => void = () => undefined;
    const fetcher = createFetcher({
      nodeId: 1,
      workerQueue: { push: async () => undefined },
      partitionAssignments: new Map(),
      fetch: async () => {
        fetches++;
        if (fetches > 20) {
          // The 21st is a long poll, in flight while the first twenty are looked at.
          await new Promise<void>((resolve) => (release = resolve));
          return [];
        }
        const batch = { topic: 'in', partition: 0, messages: Buffer.alloc(64 * 1024) };
        fetched.push(new WeakRef(batch));
        return [batch];
      },
      logger: quietLogger(),
    });
    const running = fetcher.start();
    while (fetches <= 20) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const reachable = fetched.filter((ref) => ref.deref() !== undefined).length;
    await fetcher.stop();
    await running;
    release();
    // The patch's first version raced every fetch against one promise pending until the stop: each
    // race left a reaction on it holding that fetch's batches, for the consumer's whole life.
    assert.ok(reachable <= 1, `${reachable} of 20 fetched batches still reachable`);
  });

  it('disconnects after every request but fetches completed, and fails the fetches left', async () => {
    const queue = new RequestQueue({
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'spec',
      broker: '127.0.0.1:9092',
      logger: quietLogger(),
    });
    const outcomes: string[] = [];
    const request = (apiKey: number, apiName: string, correlationId: number) =>
      queue.push({
        entry: {
          apiKey,
          apiName,
          apiVersion: 0,
          correlationId,
          resolve: () => void outcomes.push(`${apiName} answered`),
          reject: (error) => void outcomes.push(`${apiName} failed: ${error.message}`),
        },
        expectResponse: true,
        sendRequest: () => undefined,
      });
    request(1, 'Fetch', 1);
    request(8, 'OffsetCommit', 2);
    let settled: number | undefined;
    const settling = queue
      .settleAbandoning((apiKey) => apiKey === 1, new Error('closed'))
      .then((n) => (settled = n));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, undefined, 'waits for the commit');
    queue.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    assert.equal(await settling, 1);
    assert.deepEqual(outcomes, ['OffsetCommit answered', 'Fetch failed: closed']);
    queue.destroy();
  });

  it('encodes varints in place, the same bytes as before, and reads back every value', () => {
    const values = [0, 1, -1, 63, -64, 64, 127, 128, 300, 16_383, 16_384, -65_536, 2 ** 31 - 1, -(2 ** 31)];
    const encoder = new Encoder(1); // grows on the way
    for (const v of values) encoder.writeVarInt(v);
    for (const v of [0, 127, 128, 2 ** 21, 2 ** 28, 2 ** 31 - 1]) encoder.writeUVarInt(v);
    const decoder = new Decoder(encoder.buffer);
    assert.deepEqual(
      values.map(() => decoder.readVarInt()),
      values,
    );
    assert.deepEqual(
      [0, 127, 128, 2 ** 21, 2 ** 28, 2 ** 31 - 1].map(() => decoder.readUVarInt()),
      [0, 127, 128, 2 ** 21, 2 ** 28, 2 ** 31 - 1],
    );
    // Protobuf/Kafka zig-zag: -1 is 0x01, 64 is 0x80 0x01, 300 is 0xd8 0x04.
    const one = new Encoder();
    for (const v of [-1, 64, 300]) one.writeVarInt(v);
    assert.deepEqual([...one.buffer], [0x01, 0x80, 0x01, 0xd8, 0x04]);
  });

  it('hands out only the bytes it wrote, whatever was in the memory it took (unfilled buffers)', () => {
    // Leave Node's buffer pool full of 0xff, where the unfilled encoder buffers come from.
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(512).fill(0xff);
    const encoder = new Encoder(16);
    encoder.writeInt32(7);
    encoder.writeString('sluice');
    encoder.writeBytes(Buffer.alloc(3000, 1)); // past the first buffer: grows, copies what was written
    encoder.writeVarInt(-2);
    const bytes = encoder.buffer;
    assert.equal(bytes.length, 4 + 2 + 6 + 4 + 3000 + 1);
    const decoder = new Decoder(bytes);
    assert.equal(decoder.readInt32(), 7);
    assert.equal(decoder.readString(), 'sluice');
    assert.deepEqual(decoder.readBytes(), Buffer.alloc(3000, 1));
    assert.equal(decoder.readVarInt(), -2);
  });

  it('decodes offsets and timestamps as the decimal text of their sums, in numbers or past them', () => {
    const decode = (record: object, context: object) => {
      const decoder = new Decoder(encodeRecord(record).buffer);
      decoder.readVarInt();
      return decodeRecord(decoder, { magicByte: 2, ...context }) as unknown as {
        offset: string;
        timestamp: string;
      };
    };
    const cases: Array<[string, string, number, number | bigint, string, string]> = [
      // firstOffset, firstTimestamp, offsetDelta, timestampDelta → offset, timestamp
      ['0', '0', 0, 0, '0', '0'],
      ['41', '1700000000000', 1, -5, '42', '1699999999995'],
      ['41', '-1', 2, 0, '43', '-1'], // a record without a timestamp
      ['9007199254740990', '1700000000000', 5, 2 ** 47, '9007199254740995', String(1700000000000 + 2 ** 47)],
      ['9223372036854775800', '9007199254740991', 7, 1, '9223372036854775807', '9007199254740992'],
      ['5', '1000', 0, -(2n ** 60n), '5', String(1000n - 2n ** 60n)], // a varlong of 9 bytes
    ];
    for (const [firstOffset, firstTimestamp, offsetDelta, timestampDelta, offset, timestamp] of cases) {
      const decoded = decode(
        { offsetDelta, timestampDelta: Long.fromValue(timestampDelta), key: null, value: null },
        { firstOffset, firstTimestamp },
      );
      assert.deepEqual({ offset: decoded.offset, timestamp: decoded.timestamp }, { offset, timestamp });
    }
  });

  it('decodes headers into one object: repeated keys in order, no key mistaken for an inherited one', () => {
    const { decoded } = roundTrip({
      key: null,
      value: null,
      headers: { a: ['1', '2', '3'], constructor: 'c', ['__proto__']: 'p', b: 'x' },
    });
    assert.deepEqual(Object.keys(decoded.headers), ['a', 'constructor', '__proto__', 'b']);
    assert.deepEqual(decoded.headers.a, [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
    assert.deepEqual(decoded.headers.constructor, Buffer.from('c'));
    assert.deepEqual(Object.getOwnPropertyDescriptor(decoded.headers, '__proto__')?.value, Buffer.from('p'));
    assert.equal(Object.getPrototypeOf(decoded.headers), Object.prototype);
  });

  it('checksums record batches with CRC-32C in native code, the same values as the JavaScript table', () => {
    // The standard check value of CRC-32C (Castagnoli) over the ASCII digits 1 to 9.
    assert.equal(batchChecksum(Buffer.from('123456789')), 0xe3069283);
    assert.equal(batchChecksum(Buffer.alloc(0)), 0);
    const random = randomBytes(64 * 1024);
    for (const length of [1, 7, 8, 63, 1_000, random.length]) {
      const bytes = random.subarray(random.length - length);
      assert.equal(batchChecksum(bytes), tableChecksum(bytes), `${length} bytes`);
      assert.equal(nativeChecksum(bytes), tableChecksum(bytes), `${length} bytes`);
    }
    // The patched module takes the native function when its binary loads (it does here: above).
    assert.match(checksumSource, /require\('@node-rs\/crc32'\)\.crc32c/);
  });

  it('frames a request as the protocol says: size, api key and version, correlation id, client id, payload', async () => {
    const payload = randomBytes(3_000);
    const encoded = new Encoder().writeBytes(payload);
    const { buffers, size: frameSize } = await createRequest({
      correlationId: 77,
      clientId: 'sluice-spec',
      request: { apiKey: 0, apiVersion: 3, encode: async () => encoded },
    });
    const buffer = Buffer.concat(buffers);
    assert.equal(frameSize, buffer.length);
    assert.equal(buffers.length, 2);
    assert.equal(
      buffers[1]!.buffer,
      encoded.buffer.buffer,
      'the payload goes out as its own bytes, not a copy',
    );
    const header = Buffer.alloc(2 + 2 + 4 + 2 + 'sluice-spec'.length);
    header.writeInt16BE(0, 0);
    header.writeInt16BE(3, 2);
    header.writeInt32BE(77, 4);
    header.writeInt16BE('sluice-spec'.length, 8);
    header.write('sluice-spec', 10, 'latin1');
    const body = Buffer.concat([header, Buffer.from([0, 0, 0x0b, 0xb8]), payload]); // writeBytes: int32 length
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    assert.deepEqual(buffer, Buffer.concat([size, body]));
  });

  it('writes an uncompressed produce request in one pass: the same bytes as its nested encoders', async () => {
    const message = (i: number, stamped: boolean): ProduceMessage => ({
      key: i % 3 ? randomBytes(8) : null,
      value: i % 7 ? randomBytes(100 + ((i * 37) % 900)) : null,
      headers: i % 2 ? { a: 'x', b: Buffer.from('yz'), c: ['1', '2'] } : {},
      ...(stamped && { timestamp: String(1_700_000_000_000 + ((i * 7919) % 1000)) }),
    });
    const realNow = Date.now;
    Date.now = () => 1_700_000_000_500; // both sides stamp unstamped messages with the same now
    try {
      for (const transactionalId of [null, 'sluice-tx'])
        for (const stamped of [false, true])
          for (const counts of [[1], [3, 2], [500, 2, 7]]) {
            const args = {
              acks: -1,
              timeout: 30_000,
              transactionalId,
              producerId: Long.fromValue(transactionalId ? 4242 : -1),
              producerEpoch: transactionalId ? 3 : 0,
              topicData: counts.map((count, t) => ({
                topic: `topic-${t}`,
                partitions: [0, 1, 2].slice(0, 1 + (t % 3)).map((partition) => ({
                  partition,
                  firstSequence: t * 10,
                  messages: Array.from({ length: count }, (_, i) => message(i, stamped)),
                })),
              })),
            };
            const written = (await produceRequest(args).encode()).buffer;
            assert.deepEqual(
              written,
              await upstreamProduceRequest(args),
              JSON.stringify({ transactionalId, stamped, counts }),
            );
          }
    } finally {
      Date.now = realNow;
    }
  });

  it('writes varlongs (record timestamp deltas) as zigzag varints, in int32 range without BigInt', () => {
    /** The varlong of `value` by the protocol: zigzag over 64 bits, then 7 bits a byte, low first. */
    const varlong = (value: bigint): Buffer => {
      let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
      const bytes: number[] = [];
      while (zigzag >= 0x80n) {
        bytes.push(Number(zigzag & 0x7fn) | 0x80);
        zigzag >>= 7n;
      }
      bytes.push(Number(zigzag));
      return Buffer.from(bytes);
    };
    const values = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)];
    const beyond = [2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 45), Number.MAX_SAFE_INTEGER];
    for (const value of [...values, ...beyond]) {
      const expected = varlong(BigInt(value));
      assert.deepEqual(new Encoder().writeVarLong(value).buffer, expected, String(value));
      assert.equal(Encoder.sizeOfVarLong(value), expected.length, String(value));
    }
    assert.deepEqual(new Encoder().writeVarLong('-3').buffer, varlong(-3n), 'a Long given as text');
  });

  it('sets no timer while no request waits; a waiting one goes when a request completes or the throttle ends', async () => {
    const quiet = () => undefined;
    const queue = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'spec',
      broker: 'localhost:9092',
      logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
    const sent: number[] = [];
    const request = (correlationId: number) => ({
      entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 3, resolve: quiet, reject: quiet },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
    const respond = (correlationId: number) =>
      queue.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });
    try {
      queue.push(request(1));
      queue.push(request(2)); // one in flight at most: it waits
      assert.deepEqual(sent, [1]);
      respond(1);
      assert.deepEqual(sent, [1, 2], 'the waiting request goes as the one in flight completes');
      respond(2);
      // The check set while 2 waited (10 ms) runs once and sets no other. In 2.2.4 each check set
      // the next (1 ms, nothing being throttled), for as long as the connection lived.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(queue.throttleCheckTimeoutId, null, 'no timer while nothing waits');

      queue.maybeThrottle(40);
      queue.push(request(3));
      assert.deepEqual(sent, [1, 2], 'a throttled request waits');
      assert.notEqual(queue.throttleCheckTimeoutId, null, 'a timer for the throttle end');
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.deepEqual(sent, [1, 2, 3], 'sent once the throttle ended');
      respond(3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(queue.throttleCheckTimeoutId, null);
    } finally {
      queue.destroy();
    }
  });

  /** A runner whose group connect and join wait until told, recording what its group was asked. */
  function joiningRunner() {
    const calls: string[] = [];
    type Pending = { resolve(): void; reject(error: Error): void };
    let connect: Pending | undefined;
    let join: Pending | undefined;
    const crashes: Error[] = [];
    const runner = new Runner({
      logger: quietLogger(),
      consumerGroup: {
        connect: () => new Promise<void>((resolve, reject) => (connect = { resolve, reject })),
        joinAndSync: () => {
          calls.push('join');
          return new Promise<void>((resolve, reject) => (join = { resolve, reject }));
        },
        leave: async () => void calls.push('leave'),
        getNodeIds: () => [],
        cluster: { disconnect: async () => void calls.push('disconnect') },
      },
      instrumentationEmitter: { emit() {} },
      onCrash: (error) => void crashes.push(error),
    });
    /** Starts it and lets its connect through: it is joining. */
    const startJoining = async () => {
      const starting = runner.start();
      await new Promise((r) => setImmediate(r));
      connect!.resolve();
      await new Promise((r) => setImmediate(r));
      return { starting }; // not the promise itself: awaiting this would wait for the start
    };
    return { runner, calls, crashes, connect: () => connect!, join: () => join!, startJoining };
  }

  it('a runner stopped while it connects does not join', async () => {
    const { runner, calls, crashes, connect } = joiningRunner();
    const starting = runner.start();
    await new Promise((r) => setImmediate(r));
    await runner.stop();
    connect().resolve();
    await starting;
    assert.deepEqual(calls, []);
    assert.equal(runner.running, false);
    assert.deepEqual(crashes, []);
  });

  it('a runner stopped while it joins leaves the group once joined, and never consumes', async () => {
    const { runner, calls, crashes, join, startJoining } = joiningRunner();
    const { starting } = await startJoining();
    await runner.stop(); // its consumer lets go of it now (kafkajs's consumer.stop)
    join().resolve();
    await starting;
    assert.deepEqual(calls, ['join', 'leave', 'disconnect']);
    assert.equal(runner.running, false, 'no fetch loop was started');
    assert.deepEqual(crashes, []);
  });

  it('a runner stopped while it joins does not crash (and restart) when the join fails', async () => {
    const { runner, calls, crashes, join, startJoining } = joiningRunner();
    const { starting } = await startJoining();
    await runner.stop();
    join().reject(new Error('broker away'));
    await starting;
    assert.deepEqual(crashes, [], 'no crash: the consumer would schedule a restart behind the stop');
    // It may have joined before the failure (a listener threw): it leaves, which is nothing without a member id.
    assert.deepEqual(calls, ['join', 'leave', 'disconnect']);
  });

  it('a runner not stopped still crashes on a failed join', async () => {
    const { crashes, join, startJoining } = joiningRunner();
    const { starting } = await startJoining();
    join().reject(new Error('broker away'));
    await starting;
    assert.deepEqual(
      crashes.map((e) => e.message),
      ['broker away'],
    );
  });
});
