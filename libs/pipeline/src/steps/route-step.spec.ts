import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StepFailedError } from '../pipeline/pipeline-errors';
import { configErrorOf, pipelineWith } from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

const order = (row: Record<string, unknown> = {}) => orderInput(orderEvent('c', orderRow(row)));
const topicsOf = async (
  steps: unknown[],
  inputs = [order({ region: 'eu' }), order({ region: 'us' }), order({ region: null })],
) => {
  const p = pipelineWith([{ unwrap: {} }, ...steps]);
  return Promise.all(inputs.map(async (i) => (await p.process(i)).map((o) => o.topic).join(',')));
};

describe('route step', () => {
  it('routes by the first true case, else default, else the pipeline to', async () => {
    const cases = [
      { when: "region == 'eu'", topic: 'orders.eu' },
      { when: "region in ['us', 'ca']", topic: 'orders.na' },
    ];
    assert.deepEqual(await topicsOf([{ route: { cases, default: 'orders.other' } }]), [
      'orders.eu',
      'orders.na',
      'orders.other',
    ]);
    assert.deepEqual(await topicsOf([{ route: { cases } }]), ['orders.eu', 'orders.na', 'out']);
  });

  it('routes by a field value map', async () => {
    assert.deepEqual(
      await topicsOf([{ route: { field: 'region', topics: { eu: 'orders.eu' }, unmatched: 'drop' } }]),
      ['orders.eu', '', ''],
    );
  });

  it('rewrites the input topic by regex (RegexRouter), also for tombstones', async () => {
    const route = { route: { topicPattern: 'sluice\\.public\\.(.*)', replacement: 'clean.$1' } };
    assert.deepEqual(await topicsOf([route], [order()]), ['clean.orders']);
    const [tomb] = await pipelineWith([route]).process(orderInput(null));
    assert.equal(tomb!.topic, 'clean.orders');
  });

  it('unmatched: dlq fails the record; the schema is unchanged', async () => {
    const p = pipelineWith([{ route: { cases: [{ when: 'false', topic: 'x' }], unmatched: 'dlq' } }]);
    await assert.rejects(
      p.process(order()),
      (e: unknown) => e instanceof StepFailedError && e.code === 'NO_ROUTE' && e.step === 'steps[0].route',
    );
  });

  it('a routing expression as the pipeline to', async () => {
    const p = pipelineWith([{ unwrap: {} }], {
      to: { expression: "'orders.' + coalesce(region, 'unknown')" },
    });
    assert.equal((await p.process(order({ region: null })))[0]!.topic, 'orders.unknown');
  });

  it('bad configuration names the YAML path', () => {
    assert.equal(configErrorOf([{ route: {} }]).path, 'steps[0].route');
    assert.equal(configErrorOf([{ route: { field: 'region' } }]).path, 'steps[0].route.topics');
    assert.equal(
      configErrorOf([{ route: { topicPattern: '(', replacement: 'x' } }]).path,
      'steps[0].route.topicPattern',
    );
    assert.equal(
      configErrorOf([{ route: { cases: [{ when: 'a', topic: 'bad topic' }] } }]).path,
      'steps[0].route.cases[0].topic',
    );
  });
});
