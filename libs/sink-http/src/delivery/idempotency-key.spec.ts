import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ExpressionScope } from '@sluice/pipeline';
import { REDRIVE_HEADERS } from '@sluice/stream';
import { IdempotencyKey } from './idempotency-key';

function scope(
  overrides: Partial<ExpressionScope> & { headerValues?: Record<string, string> },
): ExpressionScope {
  const { headerValues = {}, ...rest } = overrides;
  return {
    value: null,
    key: null,
    headers: () => headerValues,
    topic: 'shop.public.orders',
    partition: 2,
    offset: '117',
    timestamp: 0,
    ...rest,
  };
}

const change = (lsn: unknown, op = 'u') => ({
  op,
  before: null,
  after: { id: 42, total: 10 },
  source: { connector: 'postgresql', lsn, txId: 900 },
  ts_ms: 0,
});

describe('IdempotencyKey default', () => {
  const key = IdempotencyKey.fromTemplate(undefined);

  it('a CDC change event: <topic>:<source.lsn>:<key>, the same for a re-publish at a new offset', () => {
    const first = key.valueFor(scope({ value: change(24023928), key: { id: 42 } }));
    const republished = key.valueFor(
      scope({ value: change(24023928), key: { id: 42 }, partition: 2, offset: '5090' }),
    );
    assert.equal(first, 'shop.public.orders:24023928:42');
    assert.equal(republished, first);
    assert.notEqual(
      key.valueFor(scope({ value: change(24024000), key: { id: 42 } })),
      first,
      'a later change',
    );
  });

  it('snapshot reads share the LSN and differ by key; composite keys joined by |, values URI-encoded', () => {
    assert.equal(
      key.valueFor(scope({ value: change(100, 'r'), key: { id: 1 } })),
      'shop.public.orders:100:1',
    );
    assert.equal(
      key.valueFor(scope({ value: change(100n, 'r'), key: { tenant: 'a,b', id: 7 } })),
      'shop.public.orders:100:a%2Cb|7',
      'no comma (X-Sluice-Idempotency-Keys is comma-separated)',
    );
    assert.equal(key.valueFor(scope({ value: change(100), key: 'k\n1' })), 'shop.public.orders:100:k%0A1');
  });

  it('other records keep the Kafka coordinates', () => {
    assert.equal(key.valueFor(scope({ value: { id: 'evt_1' }, key: 'cus_1' })), 'shop.public.orders:2:117');
    assert.equal(
      key.valueFor(scope({ value: change(null), key: { id: 42 } })),
      'shop.public.orders:2:117',
      'no lsn',
    );
    assert.equal(
      key.valueFor(scope({ value: change(100, 'r'), key: null })),
      'shop.public.orders:2:117',
      'keyless',
    );
    assert.equal(
      key.valueFor(scope({ value: null, key: { id: 42 } })),
      'shop.public.orders:2:117',
      'a tombstone',
    );
    assert.equal(key.valueFor(scope({ value: Buffer.from('raw') })), 'shop.public.orders:2:117');
  });

  it('a redriven copy: a CDC change keeps its identity, another record its original coordinates', () => {
    const headerValues = { [REDRIVE_HEADERS.of]: 'shop.public.orders/1/40' };
    const redriven = key.valueFor(scope({ value: { id: 'evt_1' }, topic: 'dlq', offset: '3', headerValues }));
    const original = key.valueFor(scope({ value: { id: 'evt_1' }, partition: 1, offset: '40' }));
    assert.equal(redriven, original);
    assert.equal(
      key.valueFor(scope({ value: change(7), key: { id: 42 }, headerValues, topic: 'dlq', offset: '3' })),
      'shop.public.orders:7:42',
    );
  });

  it('a template replaces the default', () => {
    const custom = IdempotencyKey.fromTemplate('{{ $topic }}:{{ $offset }}');
    assert.equal(custom.valueFor(scope({ value: change(7), key: { id: 42 } })), 'shop.public.orders:117');
  });
});
