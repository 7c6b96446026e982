import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError, RetriableError, isRetriable } from '@sluice/errors';
import { InvalidSchemaError } from '../avro/invalid-schema-error';
import { CorruptRecordError } from './corrupt-record-error';
import { InMemorySchemaRegistry } from './in-memory-schema-registry';
import { InvalidRecordError } from './invalid-record-error';
import { RecordDecoder } from './record-decoder';
import { RecordEncoder } from './record-encoder';
import { SchemaRegistryUnavailableError } from './schema-registry-unavailable-error';
import { UnknownSchemaIdError } from './unknown-schema-id-error';
import { frame } from './wire-format';

const V1 = JSON.stringify({
  type: 'record',
  name: 'User',
  namespace: 'acme',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'legacy', type: 'string', default: '' },
  ],
});
// v2 drops `legacy`, promotes id to long, adds an optional email and a status with a default.
const V2 = JSON.stringify({
  type: 'record',
  name: 'User',
  namespace: 'acme',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    {
      name: 'status',
      type: { type: 'enum', name: 'Status', symbols: ['ACTIVE', 'GONE'] },
      default: 'ACTIVE',
    },
  ],
});

function setup() {
  const registry = new InMemorySchemaRegistry();
  return { registry, encoder: new RecordEncoder(registry), decoder: new RecordDecoder(registry) };
}

/** The error `work` throws or rejects with (a serde fails at once when it needs no registry). */
async function rejection(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

describe('RecordEncoder and RecordDecoder', () => {
  it('round-trips a value in the Confluent wire format: magic byte 0, big-endian id, Avro', async () => {
    const { encoder, decoder } = setup();
    const bytes = await encoder.encode('users-value', V1, { id: 7, name: 'Ada', legacy: 'x' });
    assert.equal(bytes[0], 0);
    assert.equal(bytes.readInt32BE(1), 1);
    // Avro: zigzag int 7 = 14, string "Ada" = length 3 (6) + bytes, string "x" = 2 + byte
    assert.deepEqual([...bytes.subarray(5)], [14, 6, 65, 100, 97, 2, 120]);
    const decoded = await decoder.decode(bytes);
    assert.equal(decoded.schemaId, 1);
    assert.deepEqual({ ...(decoded.value as object) }, { id: 7, name: 'Ada', legacy: 'x' });
  });

  it('encodes records of any size, each its own buffer, past and across its scratch space', async () => {
    const { encoder, decoder } = setup();
    const sizes = [10, 20_000, 5, 300_000, 1_000];
    const encoded: Buffer[] = [];
    for (const n of sizes)
      encoded.push(await encoder.encode('users-value', V1, { id: n, name: 'n'.repeat(n), legacy: 'x' }));
    // Later encodes reuse the scratch buffer: earlier results must not change under them.
    for (const [i, n] of sizes.entries()) {
      const decoded = await decoder.decode(encoded[i]!);
      assert.deepEqual({ ...(decoded.value as object) }, { id: n, name: 'n'.repeat(n), legacy: 'x' });
    }
  });

  it('asks the registry once per schema and once per id, not once per record', async () => {
    const { registry, encoder, decoder } = setup();
    const records = await Promise.all(
      Array.from({ length: 50 }, (_, i) => encoder.encode('users-value', V1, { id: i, name: `u${i}` })),
    );
    const byId = await Promise.all(
      Array.from({ length: 20 }, (_, i) => encoder.encode('users-value', 1, { id: i, name: 'n' })),
    );
    await Promise.all([...records, ...byId].map((r) => decoder.decode(r)));
    assert.deepEqual(registry.calls, { register: 1, lookup: 0, schemaById: 2, latestId: 0 });
  });

  it('answers at once, not with a promise, once a schema is known: only the first record waits', async () => {
    const { registry, encoder, decoder } = setup();
    const first = encoder.encode('users-value', V1, { id: 1, name: 'a' });
    assert.ok(first instanceof Promise, 'the first encode waits for the registration');
    const bytes = await first;
    const second = encoder.encode('users-value', V1, { id: 2, name: 'b' });
    assert.ok(Buffer.isBuffer(second), 'a known (subject, schema) encodes at once');
    const byId = encoder.encode('users-value', 1, { id: 3, name: 'c' });
    assert.ok(byId instanceof Promise, 'an id not fetched yet waits for its schema');
    await byId;
    assert.ok(Buffer.isBuffer(encoder.encode('users-value', 1, { id: 4, name: 'd' })), 'a known id too');

    const pending = decoder.decode(bytes);
    assert.ok(pending instanceof Promise, 'the first record of a schema id waits for its schema');
    assert.deepEqual({ ...((await pending).value as object) }, { id: 1, name: 'a', legacy: '' });
    const known = decoder.decode(second);
    assert.ok(!(known instanceof Promise), 'a known schema id decodes at once');
    assert.deepEqual({ ...(known.value as object) }, { id: 2, name: 'b', legacy: '' });
    // Bad bytes of a known schema id fail at once, as a throw.
    assert.throws(() => decoder.decode(frame(1, Buffer.from([0xff]))), CorruptRecordError);
    assert.throws(() => encoder.encode('users-value', V1, { id: 'x', name: 'e' }), InvalidRecordError);
    assert.deepEqual(registry.calls, { register: 1, lookup: 0, schemaById: 2, latestId: 0 });
  });

  it('resolves an old writer version into the reader schema, caching the resolver', async () => {
    const { registry, encoder } = setup();
    const old = await encoder.encode('users-value', V1, { id: 1, name: 'Ada', legacy: 'gone' });
    const decoder = new RecordDecoder(registry, { readerSchema: V2 });
    const first = await decoder.decode(old);
    const second = await decoder.decode(old);
    assert.equal(first.schemaId, 1);
    assert.deepEqual({ ...(first.value as object) }, { id: 1, name: 'Ada', email: null, status: 'ACTIVE' });
    assert.deepEqual(second.value, first.value);
    assert.equal(registry.calls.schemaById, 1);
  });

  it('decodes the reader version itself without a resolver', async () => {
    const { registry, encoder } = setup();
    const bytes = await encoder.encode('users-value', V2, {
      id: 3,
      name: 'Bo',
      email: 'b@x',
      status: 'GONE',
    });
    const decoded = await new RecordDecoder(registry, { readerSchema: V2 }).decode(bytes);
    assert.deepEqual({ ...(decoded.value as object) }, { id: 3, name: 'Bo', email: 'b@x', status: 'GONE' });
  });

  it('refuses a reader that cannot read the writer, naming the field and rule', async () => {
    const { registry, encoder } = setup();
    const bytes = await encoder.encode('users-value', V2, { id: 3, name: 'Bo', email: null, status: 'GONE' });
    const reader = JSON.stringify({
      type: 'record',
      name: 'User',
      namespace: 'acme',
      fields: [
        { name: 'id', type: 'int' },
        { name: 'age', type: 'int' },
      ],
    });
    const error = await rejection(() => new RecordDecoder(registry, { readerSchema: reader }).decode(bytes));
    assert.ok(error instanceof FatalRecordError);
    assert.equal(error.code, 'SCHEMA_UNRESOLVABLE');
    assert.match(error.message, /reader type: INT not compatible with writer type: LONG/);
    assert.match(
      error.message,
      /The field 'age' at path '\/fields\/1' in the reader schema has no default value/,
    );
  });

  it('refuses bytes without the magic byte, too short, or not decodable, with the cause', async () => {
    const { encoder, decoder } = setup();
    const good = await encoder.encode('users-value', V1, { id: 1, name: 'Ada' });
    const noMagic = Buffer.from(good);
    noMagic[0] = 1;
    for (const [bytes, message] of [
      [noMagic, /not the Confluent magic byte 0/],
      [Buffer.from([0, 0, 0]), /too short/],
      [good.subarray(0, good.length - 2), /schema id 1 does not decode as Avro/],
      [Buffer.concat([good, Buffer.from([1, 2])]), /does not decode as Avro/],
    ] as const) {
      const error = await rejection(() => decoder.decode(bytes));
      assert.ok(error instanceof CorruptRecordError, String(error));
      assert.ok(error instanceof FatalRecordError);
      assert.equal(error.code, 'RECORD_CORRUPT');
      assert.match(error.message, message);
    }
    const undecodable = await rejection(() => decoder.decode(good.subarray(0, good.length - 2)));
    assert.ok((undecodable as Error).cause instanceof Error);
  });

  it(
    'refuses an array or map whose item count the bytes cannot hold, at once (patched avsc)',
    { timeout: 30_000 },
    async () => {
      // Postgres array and jsonb-as-map columns are Avro arrays and maps: a few garbage bytes with a
      // huge count made avsc allocate `new Array(1e8)` (the heap ran out) or loop 2^35 times.
      const { encoder, decoder } = setup();
      const schema = JSON.stringify({
        type: 'record',
        name: 'Tagged',
        fields: [
          { name: 'tags', type: { type: 'array', items: 'long' } },
          { name: 'attrs', type: { type: 'map', values: 'string' } },
        ],
      });
      const good = await encoder.encode('tagged-value', schema, { tags: [1, 2], attrs: { a: 'b' } });
      assert.deepEqual(
        { ...((await decoder.decode(good)).value as object) },
        { tags: [1, 2], attrs: { a: 'b' } },
      );
      const id = good.readInt32BE(1);
      const zigzag = (n: number) => {
        const bytes: number[] = [];
        let z = BigInt(n) * 2n;
        while (z >= 0x80n) {
          bytes.push(Number(z & 0x7fn) | 0x80);
          z >>= 7n;
        }
        bytes.push(Number(z));
        return Buffer.from(bytes);
      };
      for (const payload of [
        Buffer.concat([zigzag(1e8), Buffer.from([2, 4, 6])]), // tags: 1e8 longs in 3 bytes
        Buffer.concat([zigzag(0), zigzag(2 ** 35), Buffer.from([2, 97])]), // attrs: 2^35 entries
      ]) {
        // Unpatched avsc blocks the event loop here (2^35 iterations) or runs out of heap.
        const error = await rejection(() => decoder.decode(frame(id, payload)));
        assert.ok(error instanceof CorruptRecordError, String(error));
        assert.match((error as Error).message, /does not decode as Avro \(truncated buffer\)/);
      }
    },
  );

  it('reports an unknown schema id as fatal and an unreachable registry as retriable', async () => {
    const { registry, decoder } = setup();
    const unknown = await rejection(() => decoder.decode(frame(42, Buffer.from([2]))));
    assert.ok(unknown instanceof UnknownSchemaIdError);
    assert.equal(unknown.schemaId, 42);
    assert.equal(isRetriable(unknown), false);

    registry.unavailable = true;
    const down = await rejection(() => decoder.decode(frame(42, Buffer.from([2]))));
    assert.ok(down instanceof SchemaRegistryUnavailableError);
    assert.ok(down instanceof RetriableError);
  });

  it('does not cache a failed registry call: the next record tries again', async () => {
    const { registry, encoder } = setup();
    registry.unavailable = true;
    await rejection(() => encoder.encode('users-value', V1, { id: 1, name: 'a' }));
    registry.unavailable = false;
    const bytes = await encoder.encode('users-value', V1, { id: 1, name: 'a' });
    assert.equal(bytes.readInt32BE(1), 1);
    assert.equal(registry.calls.register, 2);
  });

  it('names the offending field when a value does not match its schema', async () => {
    const { encoder } = setup();
    const error = await rejection(() => encoder.encode('users-value', V1, { id: 'seven', name: 'Ada' }));
    assert.ok(error instanceof InvalidRecordError);
    assert.deepEqual(error.paths, ['id']);
    assert.match(error.message, /Value does not match schema id 1 of subject "users-value" at id/);
  });

  it('refuses invalid schema text before calling the registry', async () => {
    const { registry, encoder } = setup();
    const error = await rejection(() =>
      encoder.encode('users-value', '{"type":"record","name":"X","fields":[{"name":"a"}]}', {}),
    );
    assert.ok(error instanceof InvalidSchemaError);
    assert.equal(registry.calls.register, 0);
  });

  it('only looks schemas up when auto-registration is off', async () => {
    const registry = new InMemorySchemaRegistry();
    const encoder = new RecordEncoder(registry, { autoRegister: false });
    const missing = await rejection(() => encoder.encode('users-value', V1, { id: 1, name: 'a' }));
    assert.equal((missing as FatalRecordError).code, 'SCHEMA_NOT_REGISTERED');
    await registry.register('users-value', V1);
    const bytes = await encoder.encode('users-value', V1, { id: 1, name: 'a' });
    assert.equal(bytes.readInt32BE(1), 1);
  });

  it('keeps logical types in their underlying representation and nullable unions unwrapped', async () => {
    const { encoder, decoder } = setup();
    const schema = JSON.stringify({
      type: 'record',
      name: 'Payment',
      fields: [
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    });
    const value = { amount: Buffer.from([0x30, 0x39]), at: 1_700_000_000_000_000, id: 'a-b', note: 'hi' };
    const decoded = await decoder.decode(await encoder.encode('payments-value', schema, value));
    assert.deepEqual({ ...(decoded.value as object) }, value);
  });
});
