import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetriableError } from '@sluice/errors';
import { StepFailedError } from '../../pipeline/pipeline-errors';
import { assertEncodable, configErrorOf, pipelineWith, schemaJson } from '../../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../../testing/orders-fixture';
import type { LookupRow, LookupSource, RowLookup } from './row-lookup';

class FakeLookup implements RowLookup {
  readonly queries: unknown[][] = [];
  source?: LookupSource;
  constructor(
    private readonly rows: Record<string, LookupRow>,
    private readonly hang = false,
  ) {}
  find(params: readonly unknown[]): Promise<LookupRow | undefined> {
    this.queries.push([...params]);
    if (this.hang) return new Promise(() => undefined);
    return Promise.resolve(this.rows[String(params[0])]);
  }
  async close(): Promise<void> {}
}

const enrich = (extra: object = {}) => ({
  enrich: {
    connection: 'postgres://u:p@db:5432/crm',
    query: 'select name, tier, since from customers where id = $1',
    params: ['customer_id'],
    fields: [
      { column: 'name', as: 'customer_name' },
      { column: 'tier', type: 'int' },
    ],
    ...extra,
  },
});

function withLookup(lookup: FakeLookup, extra: object = {}, clock?: () => number) {
  return pipelineWith([{ unwrap: {} }, enrich(extra)], {
    lookups: (source) => {
      lookup.source = source;
      return lookup;
    },
    ...(clock ? { clock } : {}),
  });
}

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const order = (customer: number) => orderInput(orderEvent('c', orderRow({ customer_id: customer })));

describe('enrich step', () => {
  it('adds looked-up columns as nullable fields and converts their types', async () => {
    const lookup = new FakeLookup({ 42: { name: 'Ada', tier: '3' } });
    const p = withLookup(lookup);
    const [out] = await p.process(order(42));
    assert.deepEqual(out!.value, { ...orderRow(), customer_name: 'Ada', tier: 3 });
    const fields = (schemaJson(out!.valueSchema) as { fields: { name: string; type: unknown }[] }).fields;
    assert.deepEqual(fields.at(-1), { name: 'tier', type: ['null', 'int'], default: null });
    assert.equal(lookup.source!.query, 'select name, tier, since from customers where id = $1');
    await assertEncodable([out!]);
  });

  it('caches results (and misses) for the TTL, then asks again', async () => {
    let now = 0;
    const lookup = new FakeLookup({ 42: { name: 'Ada', tier: 1 } });
    const p = withLookup(lookup, { cacheTtlMs: 1000 }, () => now);
    await p.process(order(42));
    await p.process(order(42));
    await p.process(order(1));
    await p.process(order(1));
    assert.deepEqual(lookup.queries, [[42], [1]]);
    now = 1001;
    await p.process(order(42));
    assert.equal(lookup.queries.length, 3);
  });

  it('a missing row gives null fields, or drops, or dead-letters, per onMissing', async () => {
    const lookup = new FakeLookup({});
    const [out] = await withLookup(lookup).process(order(5));
    assert.equal((out!.value as Record<string, unknown>).customer_name, null);
    assert.deepEqual(await withLookup(lookup, { onMissing: 'drop' }).process(order(5)), []);
    await assert.rejects(
      withLookup(lookup, { onMissing: 'dlq' }).process(order(5)),
      (e: unknown) => e instanceof StepFailedError && e.code === 'LOOKUP_MISSING',
    );
  });

  it('a lookup slower than timeoutMs is a RetriableError naming the step', async () => {
    const p = withLookup(new FakeLookup({}, true), { timeoutMs: 20 });
    await assert.rejects(
      p.process(order(42)),
      (e: unknown) =>
        e instanceof RetriableError && e.code === 'LOOKUP_TIMEOUT' && /steps\[1\]\.enrich/.test(e.message),
    );
  });

  it('bad configuration names the YAML path', () => {
    assert.equal(configErrorOf([enrich({ connection: 'mysql://x' })]).path, 'steps[0].enrich.connection');
    assert.equal(configErrorOf([enrich({ params: ['a =='] })]).path, 'steps[0].enrich.params[0]');
    assert.equal(
      configErrorOf([enrich({ fields: [{ column: 'x', type: 'date' }] })]).path,
      'steps[0].enrich.fields[0].type',
    );
  });

  it('hands the lookup its TLS settings with the CA read relative to the pipeline file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-enrich-tls-'));
    writeFileSync(join(dir, 'crm-ca.pem'), CA);
    const lookup = new FakeLookup({});
    pipelineWith([{ unwrap: {} }, enrich({ ssl: { mode: 'verify-full', ca: 'crm-ca.pem' } })], {
      baseDir: dir,
      lookups: (source) => {
        lookup.source = source;
        return lookup;
      },
    });
    assert.deepEqual(lookup.source!.ssl, { ca: CA, rejectUnauthorized: true });
  });

  it('refuses a missing CA file naming it and the YAML path, and TLS set twice', () => {
    const missing = configErrorOf([enrich({ ssl: { mode: 'verify-full', ca: '/nowhere/ca.pem' } })]);
    assert.equal(missing.path, 'steps[0].enrich.ssl.ca');
    assert.match(missing.message, /\/nowhere\/ca\.pem/);
    const twice = configErrorOf([
      enrich({ connection: 'postgres://u:p@db/crm?sslmode=require', ssl: { mode: 'require' } }),
    ]);
    assert.equal(twice.path, 'steps[0].enrich.ssl');
    assert.equal(configErrorOf([enrich({ ssl: { mode: 'on' } })]).path, 'steps[0].enrich.ssl.mode');
  });
});
