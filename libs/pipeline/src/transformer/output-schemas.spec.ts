import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { InMemorySchemaRegistry } from '@sluice/schema';
import { type DerivedSchema } from '../schema/derived-schema';
import { OutputSchemaRegistrations } from './output-schemas';

const TEXT = '{"type":"record","name":"Row","fields":[{"name":"id","type":"long"}]}';
/** Two input schemas deriving the same output: two DerivedSchema objects of one text. */
const derived = (): DerivedSchema => ({ type: JSON.parse(TEXT), text: TEXT }) as unknown as DerivedSchema;

describe('OutputSchemaRegistrations', () => {
  it('registers once, then answers with the id itself', async () => {
    const registry = new InMemorySchemaRegistry();
    const schemas = new OutputSchemaRegistrations(registry);
    const schema = derived();
    const first = schemas.idFor('out-value', schema);
    assert.ok(first instanceof Promise);
    const id = await first;
    assert.equal(schemas.idFor('out-value', schema), id, 'a number, not a promise');
    assert.equal(await schemas.idFor('out-value', derived()), id, 'the same text: no second request');
    assert.equal(registry.calls.register, 1);
  });

  it('forgets a retriable failure for every schema that shared the registration', async () => {
    const registry = new InMemorySchemaRegistry();
    const schemas = new OutputSchemaRegistrations(registry);
    const [a, b] = [derived(), derived()];
    registry.unavailable = true;
    const shared = [schemas.idFor('out-value', a), schemas.idFor('out-value', b)];
    for (const attempt of shared) await assert.rejects(attempt as Promise<number>);
    assert.equal(registry.calls.register, 1, 'one request for both');
    registry.unavailable = false;
    assert.equal(await schemas.idFor('out-value', a), await schemas.idFor('out-value', b));
  });

  it('remembers a refusal: records of that schema fail without asking again', async () => {
    const registry = new InMemorySchemaRegistry();
    registry.register = () => Promise.reject(new FatalRecordError('incompatible', { code: 'INCOMPATIBLE' }));
    const schemas = new OutputSchemaRegistrations(registry);
    const schema = derived();
    await assert.rejects(schemas.idFor('out-value', schema) as Promise<number>, /incompatible/);
    await assert.rejects(schemas.idFor('out-value', schema) as Promise<number>, /incompatible/);
    assert.equal(schemas.registrations, 1);
  });
});
