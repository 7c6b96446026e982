import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StepFailedError } from '../pipeline/pipeline-errors';
import { configErrorOf, pipelineWith } from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

describe('filter step', () => {
  it('keeps records whose predicate is true (fields, op, headers) and drops the rest', async () => {
    const p = pipelineWith([
      { filter: { where: "op != 'r' and after.total > 50 and $headers.tenant == 'acme'" } },
    ]);
    const tenant = [{ key: 'tenant', value: Buffer.from('acme') }];
    assert.equal((await p.process(orderInput(orderEvent('c', orderRow()), { headers: tenant }))).length, 1);
    assert.equal((await p.process(orderInput(orderEvent('r', orderRow()), { headers: tenant }))).length, 0);
    assert.equal(
      (await p.process(orderInput(orderEvent('c', orderRow({ total: 1 })), { headers: tenant }))).length,
      0,
    );
    assert.equal((await p.process(orderInput(orderEvent('c', orderRow())))).length, 0);
  });

  it('leaves the schema unchanged and passes tombstones unless told to drop them', async () => {
    const keep = pipelineWith([{ filter: { where: 'false' } }]);
    assert.equal((await keep.process(orderInput(null))).length, 1);
    const drop = pipelineWith([{ filter: { where: 'true', tombstones: 'drop' } }]);
    assert.equal((await drop.process(orderInput(null))).length, 0);
    const [out] = await drop.process(orderInput(orderEvent('c', orderRow())));
    assert.equal(JSON.parse(out!.valueSchema!.text).name, 'Envelope');
  });

  it('a predicate that fails on the data dead-letters the record naming the step', async () => {
    const p = pipelineWith([{ filter: { where: 'op > 3' } }]);
    await assert.rejects(
      p.process(orderInput(orderEvent('c', orderRow()))),
      (e: unknown) =>
        e instanceof StepFailedError && e.step === 'steps[0].filter' && e.code === 'EXPRESSION_FAILED',
    );
  });

  it('bad configuration names the YAML path and the grammar problem', () => {
    const e = configErrorOf([{ filter: { where: "status == 'x" } }]);
    assert.equal(e.path, 'steps[0].filter.where');
    assert.match(e.message, /invalid expression: unterminated string/);
    assert.equal(configErrorOf([{ filter: {} }]).path, 'steps[0].filter.where');
    assert.equal(configErrorOf([{ filtre: { where: 'true' } }]).path, 'steps[0].filtre');
  });
});
