import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationFailedError } from '../pipeline/pipeline-errors';
import { configErrorOf, pipelineWith } from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

const rules = [
  { name: 'email-present', check: 'required', field: 'email' },
  { name: 'total-range', check: 'range', field: 'total', min: 0, max: 1000 },
  { name: 'email-shape', check: 'regex', field: 'email', pattern: '^[^@]+@[^@]+$' },
  { name: 'known-status', check: 'enum', field: 'status', values: ['new', 'paid'], action: 'tag' },
  { name: 'id-integer', check: 'type', field: 'id', type: 'integer' },
  {
    name: 'eu-needs-email',
    check: 'expression',
    expression: "region != 'eu' or email != null",
    action: 'tag',
  },
];

const run = (row: Record<string, unknown>) =>
  pipelineWith([{ unwrap: {} }, { validate: { rules } }]).process(orderInput(orderEvent('c', orderRow(row))));

const failsWith = (row: Record<string, unknown>, rule: string) =>
  assert.rejects(
    run(row),
    (e: unknown) =>
      e instanceof ValidationFailedError &&
      e.rule === rule &&
      e.step === 'steps[1].validate' &&
      e.code === 'VALIDATION_FAILED',
  );

describe('validate step', () => {
  it('passes a good record unchanged, without tags', async () => {
    const [out] = await run({});
    assert.deepEqual(out!.headers, []);
    assert.deepEqual(out!.value, orderRow());
  });

  it('a dlq rule throws ValidationFailedError naming the rule', async () => {
    await failsWith({ total: -1 }, 'total-range');
    await failsWith({ total: 5000 }, 'total-range');
    await failsWith({ email: 'nope' }, 'email-shape');
    await failsWith({ id: 1.5 }, 'id-integer');
  });

  it('required fails on null; the other checks skip null fields', async () => {
    await assert.rejects(
      run({ email: null }),
      (e: unknown) =>
        e instanceof ValidationFailedError &&
        e.rule === 'email-present' &&
        /email is missing/.test(e.message),
    );
  });

  it('a tag rule adds a header per failed rule and passes the record on', async () => {
    const [out] = await run({ status: 'weird' });
    assert.deepEqual(
      out!.headers.map((h) => [h.key, h.value?.toString()]),
      [['sluice.validation.failed', 'known-status']],
    );
  });

  it('bad configuration names the YAML path', () => {
    assert.equal(
      configErrorOf([{ validate: { rules: [{ name: 'x', check: 'regex', field: 'a', pattern: '(' }] } }])
        .path,
      'steps[0].validate.rules[0].pattern',
    );
    assert.equal(
      configErrorOf([{ validate: { rules: [{ name: 'x', check: 'shape', field: 'a' }] } }]).path,
      'steps[0].validate.rules[0].check',
    );
    assert.equal(
      configErrorOf([{ validate: { rules: [{ name: 'x', check: 'expression', expression: 'a ==' }] } }]).path,
      'steps[0].validate.rules[0].expression',
    );
    assert.equal(
      configErrorOf([{ validate: { rules: [{ name: 'x', check: 'required', field: 'a', action: 'log' }] } }])
        .path,
      'steps[0].validate.rules[0].action',
    );
  });
});
