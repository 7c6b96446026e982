import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StepFailedError } from '../pipeline/pipeline-errors';
import { assertEncodable, configErrorOf, pipelineWith, schemaJson } from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

describe('unwrap step', () => {
  it('turns creates, snapshot reads and updates into the after row, keeping key and metadata', async () => {
    const p = pipelineWith([{ unwrap: {} }]);
    for (const op of ['c', 'r', 'u']) {
      const [out, ...rest] = await p.process(orderInput(orderEvent(op, orderRow())));
      assert.equal(rest.length, 0);
      assert.deepEqual(out!.value, orderRow());
      assert.deepEqual(out!.key, { id: 7 });
      assert.equal(out!.topic, 'out');
    }
  });

  it('derives the row schema (named like the table Value record) with added fields as nullable', async () => {
    const p = pipelineWith([{ unwrap: { addFields: ['op', 'table', 'source.ts_ms', 'lsn', 'ts_ms'] } }]);
    const [out] = await p.process(orderInput(orderEvent('c', orderRow())));
    const schema = schemaJson(out!.valueSchema) as {
      name: string;
      namespace: string;
      fields: { name: string; type: unknown }[];
    };
    assert.equal(schema.name, 'Value');
    assert.equal(schema.namespace, 'sluice.public.orders');
    assert.deepEqual(
      schema.fields.map((f) => f.name),
      [
        'id',
        'customer_id',
        'email',
        'status',
        'region',
        'total',
        'created_at',
        '__op',
        '__table',
        '__source_ts_ms',
        '__lsn',
        '__ts_ms',
      ],
    );
    assert.deepEqual(schema.fields.find((f) => f.name === '__op')!.type, ['null', 'string']);
    assert.equal(out!.value && (out!.value as Record<string, unknown>).__table, 'orders');
    assert.equal((out!.value as Record<string, unknown>).__source_ts_ms, 1_700_000_000_000);
    assert.equal((out!.value as Record<string, unknown>).__lsn, 12345);
    await assertEncodable([out!]);
  });

  it('handles deletes and tombstones per mode, like Debezium', async () => {
    const del = orderInput(orderEvent('d', null, orderRow()));
    const tomb = orderInput(null);
    const run = async (deletes: string) => {
      const p = pipelineWith([{ unwrap: { deletes } }]);
      return [await p.process(del), await p.process(tomb)];
    };
    assert.deepEqual(
      (await run('drop')).map((o) => o.length),
      [0, 0],
    );
    const [delT, tombT] = await run('tombstone');
    assert.equal(delT!.length, 0);
    assert.equal(tombT![0]!.value, null);
    assert.ok(tombT![0]!.keySchema, 'a tombstone keeps its key schema');
    assert.equal(tombT![0]!.valueSchema, undefined);
    const [delR, tombR] = await run('rewrite');
    assert.deepEqual(delR![0]!.value, { ...orderRow(), __deleted: 'true' });
    assert.equal(tombR!.length, 0);
    const [delRT, tombRT] = await run('rewrite-with-tombstone');
    assert.equal(delRT!.length, 1);
    assert.equal(tombRT!.length, 1);
    const [delD, tombD] = await run('delete-to-tombstone');
    assert.equal(delD![0]!.value, null);
    assert.ok(delD![0]!.keySchema);
    assert.equal(tombD!.length, 0);
  });

  it('rewrite marks live rows "false" and the derived schema has __deleted', async () => {
    const p = pipelineWith([{ unwrap: { deletes: 'rewrite' } }]);
    const [out] = await p.process(orderInput(orderEvent('u', orderRow())));
    assert.equal((out!.value as Record<string, unknown>).__deleted, 'false');
    await assertEncodable([out!]);
  });

  it('drops truncates and dead-letters an unknown op naming the step', async () => {
    const p = pipelineWith([{ unwrap: {} }]);
    assert.deepEqual(await p.process(orderInput(orderEvent('t', null))), []);
    await assert.rejects(
      p.process(orderInput(orderEvent('x', orderRow()))),
      (e: unknown) => e instanceof StepFailedError && e.step === 'steps[0].unwrap' && e.code === 'UNKNOWN_OP',
    );
  });

  it('a value that is not a change event fails derivation, naming the step', async () => {
    const p = pipelineWith([{ unwrap: {} }, { unwrap: {} }]);
    await assert.rejects(
      p.process(orderInput(orderEvent('c', orderRow()))),
      (e: unknown) =>
        e instanceof StepFailedError && e.step === 'steps[1].unwrap' && e.code === 'SCHEMA_DERIVATION',
    );
  });

  it('bad configuration names the YAML path', () => {
    assert.equal(configErrorOf([{ unwrap: { deletes: 'maybe' } }]).path, 'steps[0].unwrap.deletes');
    assert.equal(configErrorOf([{}, { unwrap: { addFields: ['a.b.c'] } }]).path, 'steps[0]');
    assert.equal(configErrorOf([{ unwrap: { addFields: ['a.b.c'] } }]).path, 'steps[0].unwrap.addFields[0]');
    assert.equal(configErrorOf([{ unwrap: { extra: 1 } }]).path, 'steps[0].unwrap');
  });
});
