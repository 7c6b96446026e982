import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { StepFailedError } from '../pipeline/pipeline-errors';
import { assertEncodable, configErrorOf, pipelineWith, schemaJson } from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

const KEY = 'a-very-secret-key-123';
type Schema = { fields: { name: string; type: unknown; default?: unknown }[] };

describe('mask step', () => {
  it('redacts strings and numbers and keeps the schema', async () => {
    const p = pipelineWith([{ unwrap: {} }, { mask: { fields: ['email', 'total'] } }]);
    const [out] = await p.process(orderInput(orderEvent('c', orderRow())));
    assert.deepEqual(out!.value, { ...orderRow(), email: '****', total: 0 });
    const [noEmail] = await p.process(orderInput(orderEvent('c', orderRow({ email: null }))));
    assert.equal((noEmail!.value as Record<string, unknown>).email, null);
    await assertEncodable([out!, noEmail!]);
  });

  it('hashes with a keyed HMAC: stable, keyed, and the field becomes a string', async () => {
    const p = pipelineWith([
      { unwrap: {} },
      { mask: { fields: ['email', 'customer_id'], with: 'hash', key: KEY } },
    ]);
    const [out] = await p.process(orderInput(orderEvent('c', orderRow())));
    const value = out!.value as Record<string, unknown>;
    assert.equal(value.email, createHmac('sha256', KEY).update('ada@example.com').digest('hex'));
    assert.equal(value.customer_id, createHmac('sha256', KEY).update('42').digest('hex'));
    const fields = (schemaJson(out!.valueSchema) as Schema).fields;
    assert.deepEqual(fields.find((f) => f.name === 'customer_id')!.type, 'string');
    assert.deepEqual(
      fields.find((f) => f.name === 'email'),
      { name: 'email', type: ['null', 'string'], default: null },
    );
    await assertEncodable([out!]);
  });

  it('refuses to redact a field it cannot give a valid value, at derivation', async () => {
    const p = pipelineWith([{ mask: { fields: ['source'] } }]);
    await assert.rejects(
      p.process(orderInput(orderEvent('c', orderRow()))),
      (e: unknown) =>
        e instanceof StepFailedError &&
        e.step === 'steps[0].mask' &&
        /cannot redact "source"/.test(e.message),
    );
  });

  it('bad configuration names the YAML path', () => {
    assert.equal(configErrorOf([{ mask: { fields: ['email'], with: 'hash' } }]).path, 'steps[0].mask.key');
    assert.equal(
      configErrorOf([{ mask: { fields: ['email'], with: 'hash', key: 'short' } }]).path,
      'steps[0].mask.key',
    );
    assert.equal(configErrorOf([{ mask: { fields: [] } }]).path, 'steps[0].mask.fields');
    assert.equal(configErrorOf([{ mask: { fields: ['1bad'] } }]).path, 'steps[0].mask.fields[0]');
  });
});
