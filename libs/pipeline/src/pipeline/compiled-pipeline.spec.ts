import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError } from '@sluice/errors';
import { ORDERS_ENVELOPE, orderEvent, orderInput, orderRow } from '../testing/orders-fixture';
import { derivations } from '../testing/currency-step';
import { pipelineWith } from '../testing/pipeline-harness';
import { parsePipelineConfig } from './load-pipeline';
import { StepFailedError } from './pipeline-errors';

const testing = join(__dirname, '..', 'testing');

/** v2 of the orders table: a new nullable column, as a new schema id. */
function v2Envelope(): string {
  const envelope = structuredClone(ORDERS_ENVELOPE) as typeof ORDERS_ENVELOPE & {
    fields: { type: unknown }[];
  };
  const value = (envelope.fields[0]!.type as unknown[])[1] as { fields: object[] };
  value.fields.push({ name: 'coupon', type: ['null', 'string'], default: null });
  return JSON.stringify(envelope);
}

describe('CompiledPipeline', () => {
  it('derives output schemas once per input schema id, and again once for a new id (schema evolution)', async () => {
    const p = pipelineWith(
      [{ unwrap: {} }, { custom: { module: './currency-step.js', config: { rate: 1 } } }],
      { baseDir: testing },
    );
    const before = derivations.count;
    const v1 = orderInput(orderEvent('c', orderRow()));
    const [a] = await p.process(v1);
    const [b] = await p.process(orderInput(orderEvent('u', orderRow({ status: 'shipped' }))));
    assert.equal(derivations.count - before, 1);
    assert.equal(a!.valueSchema, b!.valueSchema, 'the same DerivedSchema object for the same input schema');

    const v2 = orderInput(orderEvent('c', orderRow({ coupon: 'X1' })), {
      valueSchema: { id: 3, text: v2Envelope() },
    });
    const [c] = await p.process(v2);
    await p.process(v2);
    assert.equal(derivations.count - before, 2);
    const fields = (JSON.parse(c!.valueSchema!.text) as { fields: { name: string }[] }).fields.map(
      (f) => f.name,
    );
    assert.deepEqual(fields.slice(-2), ['coupon', 'total_eur']);
    assert.equal((c!.value as Record<string, unknown>).coupon, 'X1');
    await p.process(v1);
    assert.equal(derivations.count - before, 2, 'the old id is still cached');
  });

  it('derived schemas are stable: the same input and steps give the same text after a restart', async () => {
    const steps = [
      { unwrap: { addFields: ['op'] } },
      { mask: { fields: ['email'] } },
      { setKey: { fields: ['customer_id'] } },
    ];
    const [a] = await pipelineWith(steps).process(orderInput(orderEvent('c', orderRow())));
    const [b] = await pipelineWith(steps).process(orderInput(orderEvent('c', orderRow())));
    assert.equal(a!.valueSchema!.text, b!.valueSchema!.text);
    assert.equal(a!.keySchema!.text, b!.keySchema!.text);
  });

  it('a schema the steps cannot handle fails every record of that id, derived once', async () => {
    const p = pipelineWith([{ select: { fields: ['nope'] } }]);
    const input = orderInput(orderEvent('c', orderRow()));
    const first = await p.process(input).catch((e: unknown) => e);
    const second = await p.process(input).catch((e: unknown) => e);
    assert.ok(first instanceof StepFailedError && first.step === 'steps[0].select');
    assert.equal(first, second, 'the remembered failure');
  });

  it('never mutates the input record', async () => {
    const input = orderInput(orderEvent('c', orderRow()));
    const copy = structuredClone(input);
    await pipelineWith([
      { unwrap: {} },
      { mask: { fields: ['email'] } },
      { rename: { fields: { total: 'amount' } } },
    ]).process(input);
    assert.deepEqual(input, copy);
  });

  it('bad input: a value without a schema, or unparseable schema text, fails the record', async () => {
    const p = pipelineWith([]);
    await assert.rejects(
      p.process(orderInput({ a: 1 }, { valueSchema: undefined })),
      (e: unknown) => e instanceof StepFailedError && e.code === 'NO_VALUE_SCHEMA',
    );
    await assert.rejects(
      p.process(orderInput({ a: 1 }, { valueSchema: { id: 99, text: '{"type":"recrd"}' } })),
      (e: unknown) =>
        e instanceof StepFailedError && e.code === 'SCHEMA_INVALID' && /schema id 99/.test(e.message),
    );
  });

  it('validates the pipeline file: defaults, group id, and YAML paths for errors', () => {
    const cfg = parsePipelineConfig(
      { name: 'orders', from: { pattern: 'sluice\\.public\\..*' }, to: 'x' },
      { env: {} },
    );
    assert.equal(cfg.groupId, 'sluice-pipeline-orders');
    assert.equal(cfg.mode, 'exactly-once');
    assert.equal(cfg.onKeyFailure, 'skip');
    assert.equal(cfg.retry.maxAttempts, 5);
    const pathOf = (raw: object) => {
      try {
        parsePipelineConfig({ name: 'orders', from: { topics: ['a'] }, to: 'x', ...raw }, { env: {} });
      } catch (e) {
        if (e instanceof ConfigError) return e.path;
      }
      return undefined;
    };
    assert.equal(pathOf({ mode: 'twice' }), 'mode');
    assert.equal(pathOf({ retry: { maxAttempts: 0 } }), 'retry.maxAttempts');
    assert.equal(pathOf({ onKeyFailure: 'wait' }), 'onKeyFailure');
    assert.equal(pathOf({ from: { pattern: '(' } }), 'from.pattern');
    assert.equal(pathOf({ to: { expression: 'a ==' } }), 'to.expression');
    assert.equal(pathOf({ steps: [{ filter: { where: 'x' }, mask: {} }] }), 'steps[0]');
  });
});
