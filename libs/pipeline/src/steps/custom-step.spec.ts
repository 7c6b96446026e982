import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertEncodable, configErrorOf, pipelineWith } from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

const testing = join(__dirname, '..', 'testing');

describe('custom step', () => {
  it('loads a defineStep() module relative to the pipeline, validates its config and runs it', async () => {
    const p = pipelineWith(
      [{ unwrap: {} }, { custom: { module: './currency-step.js', config: { rate: 2 } } }],
      { baseDir: testing },
    );
    const [out] = await p.process(orderInput(orderEvent('c', orderRow())));
    assert.equal((out!.value as Record<string, unknown>).total_eur, 199);
    await assertEncodable([out!]);
  });

  it('its own config errors name the YAML path inside config', () => {
    const e = configErrorOf([{ custom: { module: './currency-step.js', config: { rate: -1 } } }], {
      baseDir: testing,
    });
    assert.equal(e.path, 'steps[0].custom.config.rate');
  });

  it('a missing module or an export not made with defineStep() is a ConfigError naming the step', () => {
    assert.equal(
      configErrorOf([{ custom: { module: './nope.js' } }], { baseDir: testing }).path,
      'steps[0].custom.module',
    );
    const e = configErrorOf([{ custom: { module: './currency-step.js', export: 'notAStep' } }], {
      baseDir: testing,
    });
    assert.match(e.message, /no export "notAStep" made with defineStep/);
  });
});
