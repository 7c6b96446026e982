import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError, RetriableError } from '@sluice/errors';
import {
  buildDeadLetterRecord,
  type ConsumedRecord,
  DEAD_LETTER_HEADERS as H,
  dlqTopicFor,
  fitDeadLetter,
  readDeadLetterHeaders,
} from './dead-letter-headers';
import { headersFromMap, headersToMap, lastHeaderText, type RecordHeaders } from './record-headers';

const original: ConsumedRecord = {
  topic: 'shop.public.orders',
  partition: 3,
  offset: 9_007_199_254_740_993n, // above 2^53: offsets are int64
  key: Buffer.from([0, 0, 0, 0, 7, 2]),
  value: Buffer.from([0, 0, 0, 0, 8, 0xff, 0x00]),
  headers: [
    { key: 'traceparent', value: Buffer.from('00-abc-def-01') },
    { key: 'dup', value: Buffer.from('1') },
    { key: 'dup', value: Buffer.from('2') },
    { key: 'binary', value: Buffer.from([0xde, 0xad]) },
  ],
  timestamp: '1700000000123',
};

const context = { group: 'sink-postgres', stage: 'TASK_PUT' as const, className: 'PostgresUpsertSink' };
const text = (headers: RecordHeaders, key: string) => lastHeaderText(headers, key);

describe('dead-letter records', () => {
  it('names the topic after the consumer group', () => {
    assert.equal(dlqTopicFor('sink-postgres'), 'sink-postgres.dlq');
  });

  it('keeps key, value, timestamp and original headers unchanged, then adds Connect and Sluice headers', () => {
    const error = new RetriableError('connection refused', {
      cause: new Error('ECONNREFUSED 127.0.0.1:5433'),
    });
    const dl = buildDeadLetterRecord(original, context, {
      kind: 'failed',
      error,
      attempts: 5,
      firstAttemptAt: 1_700_000_000_500,
      lastAttemptAt: 1_700_000_009_100,
    });
    assert.equal(dl.topic, 'sink-postgres.dlq');
    assert.equal(dl.key, original.key);
    assert.equal(dl.value, original.value);
    assert.equal(dl.timestamp, '1700000000123');
    assert.deepEqual(dl.headers.slice(0, 4), original.headers);
    assert.deepEqual(
      dl.headers.slice(4).map((h) => h.key),
      [
        '__connect.errors.topic',
        '__connect.errors.partition',
        '__connect.errors.offset',
        '__connect.errors.connector.name',
        '__connect.errors.stage',
        '__connect.errors.class.name',
        '__connect.errors.exception.class.name',
        '__connect.errors.exception.message',
        '__connect.errors.exception.stacktrace',
        'sluice.errors.attempts',
        'sluice.errors.first.ts',
        'sluice.errors.last.ts',
      ],
    );
    for (const h of dl.headers.slice(4)) assert.ok(Buffer.isBuffer(h.value), `${h.key} is bytes`);
    const h = dl.headers;
    assert.equal(text(h, H.topic), 'shop.public.orders');
    assert.equal(text(h, H.partition), '3');
    assert.equal(text(h, H.offset), '9007199254740993');
    assert.equal(text(h, H.connectorName), 'sink-postgres');
    assert.equal(text(h, H.stage), 'TASK_PUT');
    assert.equal(text(h, H.className), 'PostgresUpsertSink');
    assert.equal(text(h, H.exceptionClassName), 'RetriableError');
    assert.equal(text(h, H.exceptionMessage), 'connection refused');
    assert.match(text(h, H.exceptionStacktrace)!, /^RetriableError: connection refused\n\s+at /);
    assert.match(text(h, H.exceptionStacktrace)!, /\nCaused by: Error: ECONNREFUSED 127\.0\.0\.1:5433/);
    assert.equal(text(h, H.attempts), '5');
    assert.equal(text(h, H.firstTs), '1700000000500');
    assert.equal(text(h, H.lastTs), '1700000009100');
    assert.equal(text(h, H.parked), undefined);
  });

  it('writes the task id and connector name when given, and copes with non-Error throws', () => {
    const dl = buildDeadLetterRecord(
      original,
      { ...context, connectorName: 'orders-sink', taskId: 2 },
      { kind: 'failed', error: 'boom', attempts: 1, firstAttemptAt: 1, lastAttemptAt: 1 },
    );
    assert.equal(text(dl.headers, H.connectorName), 'orders-sink');
    assert.equal(text(dl.headers, H.taskId), '2');
    assert.equal(text(dl.headers, H.exceptionClassName), 'string');
    assert.equal(text(dl.headers, H.exceptionMessage), 'boom');
  });

  it('marks a parked record with the offset it waited behind, without exception headers', () => {
    const dl = buildDeadLetterRecord(original, context, { kind: 'parked', behindOffset: 41n });
    assert.equal(text(dl.headers, H.parked), '41');
    assert.equal(text(dl.headers, H.attempts), '0');
    assert.equal(text(dl.headers, H.exceptionClassName), undefined);
    assert.equal(text(dl.headers, H.firstTs), undefined);
  });

  it('replaces stale error headers of a redriven record instead of keeping them', () => {
    const first = buildDeadLetterRecord(original, context, {
      kind: 'failed',
      error: new FatalRecordError('old'),
      attempts: 1,
      firstAttemptAt: 1,
      lastAttemptAt: 1,
    });
    const again = buildDeadLetterRecord({ ...original, headers: first.headers }, context, {
      kind: 'failed',
      error: new FatalRecordError('new'),
      attempts: 2,
      firstAttemptAt: 5,
      lastAttemptAt: 6,
    });
    assert.equal(again.headers.filter((h) => h.key === H.exceptionMessage).length, 1);
    assert.equal(text(again.headers, H.exceptionMessage), 'new');
    assert.deepEqual(again.headers.slice(0, 4), original.headers);
  });

  it('bounds the exception message and stack trace an error carries', () => {
    const dl = buildDeadLetterRecord(original, context, {
      kind: 'failed',
      error: new Error(`bad row: ${'x'.repeat(100_000)}`),
      attempts: 1,
      firstAttemptAt: 1,
      lastAttemptAt: 1,
    });
    const message = text(dl.headers, H.exceptionMessage)!;
    assert.ok(message.length < 9_000, `message of ${message.length} characters`);
    assert.match(message, /characters cut\)$/);
    assert.ok(text(dl.headers, H.exceptionStacktrace)!.length < 34_000);
  });

  it('fits a dead letter to the DLQ topic: the value, then the own headers, then the key go, and it says so', () => {
    const dl = buildDeadLetterRecord({ ...original, value: Buffer.alloc(40_000) }, context, {
      kind: 'failed',
      error: new Error('boom'),
      attempts: 1,
      firstAttemptAt: 1,
      lastAttemptAt: 1,
    });
    assert.equal(fitDeadLetter(dl, 100_000), dl, 'one that fits is kept as it is');
    const noValue = fitDeadLetter(dl, 30_000);
    assert.equal(noValue.value, null);
    assert.deepEqual(noValue.key, original.key);
    assert.equal(text(noValue.headers, 'traceparent'), '00-abc-def-01');
    assert.equal(readDeadLetterHeaders(noValue.headers)?.omitted, 'value (40000 bytes)');
    assert.equal(
      readDeadLetterHeaders(noValue.headers)?.offset,
      original.offset,
      'the original is still named',
    );

    const bigHeaders = { ...dl, headers: [{ key: 'blob', value: Buffer.alloc(50_000) }, ...dl.headers] };
    const bare = fitDeadLetter(bigHeaders, 30_000);
    assert.equal(text(bare.headers, 'blob'), undefined);
    assert.equal(readDeadLetterHeaders(bare.headers)?.omitted, 'value (40000 bytes); headers (5)');

    const bigKey = fitDeadLetter({ ...dl, key: Buffer.alloc(50_000) }, 30_000);
    assert.equal(bigKey.key, null);
    assert.equal(
      readDeadLetterHeaders(bigKey.headers)?.omitted,
      'value (40000 bytes); headers (4); key (50000 bytes)',
    );
  });

  it('reads back what it wrote', () => {
    const dl = buildDeadLetterRecord(
      original,
      { ...context, taskId: 0 },
      {
        kind: 'failed',
        error: new FatalRecordError('unknown schema id 8'),
        attempts: 1,
        firstAttemptAt: 10,
        lastAttemptAt: 10,
      },
    );
    const info = readDeadLetterHeaders(dl.headers)!;
    assert.equal(info.exception?.className, 'FatalRecordError');
    assert.match(info.exception?.stacktrace ?? '', /unknown schema id 8/);
    assert.deepEqual(
      { ...info, exception: { ...info.exception, stacktrace: undefined } },
      {
        topic: 'shop.public.orders',
        partition: 3,
        offset: 9_007_199_254_740_993n,
        connectorName: 'sink-postgres',
        taskId: 0,
        stage: 'TASK_PUT',
        className: 'PostgresUpsertSink',
        exception: { className: 'FatalRecordError', message: 'unknown schema id 8', stacktrace: undefined },
        attempts: 1,
        firstAttemptAt: 10,
        lastAttemptAt: 10,
      },
    );
    const parked = readDeadLetterHeaders(
      buildDeadLetterRecord(original, context, { kind: 'parked', behindOffset: 7n }).headers,
    )!;
    assert.equal(parked.parkedBehind, 7n);
    assert.equal(parked.exception, undefined);
  });

  it('reads a Kafka Connect DLQ record (no Sluice headers) and ignores records without error headers', () => {
    const connect = headersFromMap({
      '__connect.errors.topic': 'orders',
      '__connect.errors.partition': '0',
      '__connect.errors.offset': '12',
      '__connect.errors.connector.name': 'jdbc-sink',
      '__connect.errors.task.id': '1',
      '__connect.errors.stage': 'VALUE_CONVERTER',
      '__connect.errors.class.name': 'io.confluent.connect.avro.AvroConverter',
      '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
      '__connect.errors.exception.message': 'Unknown magic byte!',
    });
    assert.deepEqual(readDeadLetterHeaders(connect), {
      topic: 'orders',
      partition: 0,
      offset: 12n,
      connectorName: 'jdbc-sink',
      taskId: 1,
      stage: 'VALUE_CONVERTER',
      className: 'io.confluent.connect.avro.AvroConverter',
      exception: {
        className: 'org.apache.kafka.connect.errors.DataException',
        message: 'Unknown magic byte!',
      },
    });
    assert.equal(readDeadLetterHeaders(original.headers), undefined);
  });

  it('converts between kafkajs header objects and the ordered list', () => {
    const list = headersFromMap({ a: 'x', b: [Buffer.from('1'), '2'], skip: undefined });
    assert.deepEqual(
      list.map((h) => [h.key, h.value?.toString()]),
      [
        ['a', 'x'],
        ['b', '1'],
        ['b', '2'],
      ],
    );
    assert.deepEqual(headersToMap(list), { a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')] });
    assert.deepEqual(headersToMap([{ key: 'n', value: null }]), {});
  });
});
