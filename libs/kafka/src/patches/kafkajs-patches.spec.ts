// The fixes patches/kafkajs+2.2.4.patch makes to kafkajs (see patches/README.md), checked on the
// installed copy: a patch that failed to apply, or one that changed what goes on the wire, fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

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
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => { readVarInt(): number };
const groupingSource = require('node:fs').readFileSync(
  require.resolve('kafkajs/src/producer/groupMessagesPerPartition'),
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
});
