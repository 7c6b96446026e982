import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySchemaRegistry, RecordDecoder, RecordEncoder, CorruptRecordError } from '@sluice/schema';
import { inStage, type ProcessContext, StageFailure, type StreamRecord } from '@sluice/stream';
import { isRetriable } from '@sluice/errors';
import { InvalidUtf8Error, MalformedJsonError, RecordDecoding } from './record-decoding';

const ctx: ProcessContext = { signal: new AbortController().signal, attempt: 1, stage: inStage };

function record(key: Buffer | null, value: Buffer | null): StreamRecord {
  return {
    topic: 't',
    partition: 3,
    offset: 17n,
    key,
    value,
    headers: [{ key: 'tenant', value: Buffer.from('acme') }],
    timestamp: '1700000000000',
  };
}

describe('RecordDecoding', () => {
  it('json / string / bytes, with the Kafka coordinates and headers in the scope', async () => {
    const scope = await new RecordDecoding('string', 'json').scope(
      record(Buffer.from('k1'), Buffer.from('{"a":1}')),
      ctx,
    );
    assert.deepEqual(
      [scope.key, scope.value, scope.topic, scope.partition, scope.offset, scope.timestamp],
      ['k1', { a: 1 }, 't', 3, '17', 1_700_000_000_000],
    );
    assert.deepEqual(scope.headers(), { tenant: 'acme' });
    const raw = await new RecordDecoding('bytes', 'string').scope(
      record(Buffer.from([1]), Buffer.from('hi')),
      ctx,
    );
    assert.deepEqual([raw.key, raw.value], [Buffer.from([1]), 'hi']);
  });

  it('avro through the registry', async () => {
    const registry = new InMemorySchemaRegistry();
    const schema = JSON.stringify({ type: 'record', name: 'V', fields: [{ name: 'id', type: 'long' }] });
    const bytes = await new RecordEncoder(registry).encode('t-value', schema, { id: 5 });
    const scope = await new RecordDecoding('string', 'avro', new RecordDecoder(registry)).scope(
      record(null, bytes),
      ctx,
    );
    assert.deepEqual({ ...(scope.value as object) }, { id: 5 });
    assert.equal(scope.key, null);
  });

  it('text that is not UTF-8 fails its converter stage (dead-lettered), never sent with U+FFFD in it', async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
    const notUtf8 = (stage: string) => (e: unknown) =>
      e instanceof StageFailure &&
      e.stage === stage &&
      e.cause instanceof InvalidUtf8Error &&
      !isRetriable(e);
    await assert.rejects(
      new RecordDecoding('string', 'string').scope(record(null, latin1), ctx),
      notUtf8('VALUE_CONVERTER'),
    );
    await assert.rejects(
      new RecordDecoding('string', 'json').scope(
        record(null, Buffer.concat([Buffer.from('{"a":"'), latin1, Buffer.from('"}')])),
        ctx,
      ),
      notUtf8('VALUE_CONVERTER'),
    );
    await assert.rejects(
      new RecordDecoding('string', 'string').scope(record(latin1, Buffer.from('v')), ctx),
      notUtf8('KEY_CONVERTER'),
    );
  });

  it('a header value a template reads that is not UTF-8 fails HEADER_CONVERTER naming it; unread ones never fail', async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
    const scope = await new RecordDecoding('string', 'string').scope(
      {
        ...record(null, Buffer.from('v')),
        headers: [
          { key: 'tenant', value: latin1 },
          { key: 'schema-id', value: Buffer.from([0x01, 0xff, 0xfe]) },
          { key: 'source', value: Buffer.from('crm') },
          { key: 'empty', value: null },
        ],
      },
      ctx,
    );
    const headers = scope.headers();
    assert.equal(headers.source, 'crm');
    assert.equal(headers.empty, null);
    assert.deepEqual(Object.keys(headers), ['tenant', 'schema-id', 'source', 'empty']);
    assert.throws(
      () => headers.tenant,
      (e: unknown) =>
        e instanceof StageFailure &&
        e.stage === 'HEADER_CONVERTER' &&
        e.cause instanceof InvalidUtf8Error &&
        e.cause.code === 'INVALID_UTF8' &&
        e.message.includes('header "tenant" is not valid UTF-8') &&
        !isRetriable(e),
    );
  });

  it('undecodable input fails in the converter stage that read it', async () => {
    await assert.rejects(
      new RecordDecoding('json', 'string').scope(record(Buffer.from('{'), null), ctx),
      (e: unknown) =>
        e instanceof StageFailure && e.stage === 'KEY_CONVERTER' && e.cause instanceof MalformedJsonError,
    );
    const registry = new InMemorySchemaRegistry();
    await assert.rejects(
      new RecordDecoding('string', 'avro', new RecordDecoder(registry)).scope(
        record(null, Buffer.from('plain text')),
        ctx,
      ),
      (e: unknown) =>
        e instanceof StageFailure && e.stage === 'VALUE_CONVERTER' && e.cause instanceof CorruptRecordError,
    );
  });
});
