import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StepFailedError } from '../pipeline/pipeline-errors';
import { assertEncodable, configErrorOf, pipelineWith, schemaJson } from '../testing/pipeline-harness';
import { orderInput } from '../testing/orders-fixture';

const OUTBOX_ROW = {
  type: 'record',
  name: 'Value',
  namespace: 'sluice.public.outbox',
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'aggregatetype', type: 'string' },
    { name: 'aggregateid', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'payload', type: ['null', 'string'], default: null },
  ],
};
const ENVELOPE = {
  type: 'record',
  name: 'Envelope',
  namespace: 'sluice.public.outbox',
  fields: [
    { name: 'before', type: ['null', OUTBOX_ROW], default: null },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
  ],
};
const row = {
  id: '6f1c7c1e-0000-4000-8000-000000000001',
  aggregatetype: 'Order',
  aggregateid: 'o-7',
  type: 'OrderPaid',
  payload: '{"total":10}',
};
const event = (op: string, after: object | null = row) =>
  orderInput(
    { before: null, after, op },
    {
      topic: 'sluice.public.outbox',
      valueSchema: { id: 9, text: JSON.stringify(ENVELOPE) },
      keySchema: undefined,
      key: null,
    },
  );

describe('outbox step', () => {
  it('routes an outbox insert to the aggregate topic, keyed by aggregate id, payload as value, id header', async () => {
    const p = pipelineWith([{ outbox: { headers: { type: 'eventType' } } }]);
    const [out] = await p.process(event('c'));
    assert.equal(out!.topic, 'outbox.event.Order');
    assert.equal(out!.key, 'o-7');
    assert.equal(out!.value, '{"total":10}');
    assert.deepEqual(
      out!.headers.map((h) => [h.key, h.value?.toString()]),
      [
        ['id', row.id],
        ['eventType', 'OrderPaid'],
      ],
    );
    assert.deepEqual(schemaJson(out!.keySchema), 'string');
    assert.deepEqual(schemaJson(out!.valueSchema), ['null', 'string']);
    await assertEncodable([out!]);
  });

  it('drops updates, deletes and tombstones of outbox rows', async () => {
    const p = pipelineWith([{ outbox: {} }]);
    assert.deepEqual(await p.process(event('u')), []);
    assert.deepEqual(await p.process(event('d', null)), []);
    assert.deepEqual(await p.process(orderInput(null)), []);
  });

  it('a row without aggregate type dead-letters; a table without the columns fails derivation', async () => {
    const p = pipelineWith([{ outbox: { topic: 'events.{aggregateType}' } }]);
    await assert.rejects(
      p.process(event('c', { ...row, aggregatetype: '' })),
      (e: unknown) => e instanceof StepFailedError && e.code === 'OUTBOX_INVALID',
    );
    await assert.rejects(
      pipelineWith([{ outbox: { payloadField: 'body' } }]).process(event('c')),
      (e: unknown) =>
        e instanceof StepFailedError && e.code === 'SCHEMA_DERIVATION' && /no field "body"/.test(e.message),
    );
  });

  it('a row cannot choose a topic: an illegal name part or a type outside aggregateTypes dead-letters', async () => {
    const open = pipelineWith([{ outbox: {} }]);
    for (const aggregatetype of ['a/b', 'x y', '..\u0000', 'z'.repeat(201)])
      await assert.rejects(
        open.process(event('c', { ...row, aggregatetype })),
        (e: unknown) =>
          e instanceof StepFailedError && e.code === 'OUTBOX_INVALID' && /legal topic name/.test(e.message),
        aggregatetype,
      );
    const listed = pipelineWith([{ outbox: { topic: '{aggregateType}', aggregateTypes: ['Order'] } }]);
    const [out] = await listed.process(event('c'));
    assert.equal(out!.topic, 'Order');
    await assert.rejects(
      listed.process(event('c', { ...row, aggregatetype: 'sluice.public.orders' })),
      (e: unknown) => e instanceof StepFailedError && /not in aggregateTypes/.test(e.message),
    );
  });

  it('bad configuration names the YAML path', () => {
    assert.equal(configErrorOf([{ outbox: { topic: 'bad topic' } }]).path, 'steps[0].outbox.topic');
    // Without an allow-list the topic must start with a fixed prefix.
    const bare = configErrorOf([{ outbox: { topic: '{aggregateType}' } }]);
    assert.equal(bare.path, 'steps[0].outbox.topic');
    assert.match(bare.message, /fixed prefix/);
  });
});
