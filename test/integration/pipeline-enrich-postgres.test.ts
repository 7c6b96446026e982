// The enrich step against the real Postgres: lookups through the pg pool, the TTL cache, a
// statement timeout as a retriable error and a broken query as a record failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { RetriableError } from '@sluice/errors';
import { compilePipeline, parsePipelineConfig, StepFailedError } from '@sluice/pipeline';
import { stackAddresses, uniqueName } from '@sluice/test-support';

const { postgres } = stackAddresses();
const url = `postgres://${postgres.user}:${postgres.password}@${postgres.host}:${postgres.port}/source`;
const table = uniqueName('it_customers').replace(/-/g, '_');

const ROW_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'it.enrich',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer_id', type: 'long' },
  ],
});

function pipeline(query: string, extra: object = {}) {
  const config = parsePipelineConfig(
    {
      name: 'enrich-it',
      from: { topics: ['in'] },
      to: 'out',
      steps: [
        {
          enrich: {
            connection: url,
            query,
            params: ['customer_id'],
            fields: [
              { column: 'name', as: 'customer_name' },
              { column: 'tier', type: 'long' },
            ],
            ...extra,
          },
        },
      ],
    },
    { env: {} },
  );
  return compilePipeline(config);
}

const input = (customer: number) => ({
  topic: 'in',
  partition: 0,
  offset: '1',
  timestamp: 0,
  key: null,
  value: { id: 1, customer_id: customer },
  headers: [],
  valueSchema: { id: 1, text: ROW_SCHEMA },
});

describe('enrich step on the real Postgres', () => {
  const admin = new Client({ connectionString: url });

  before(async () => {
    await admin.connect();
    await admin.query(`create table ${table} (id bigint primary key, name text, tier bigint)`);
    await admin.query(`insert into ${table} values (42, 'Ada', 3), (43, null, 9000000000)`);
  });

  after(async () => {
    await admin.query(`drop table if exists ${table}`);
    await admin.end();
  });

  it('adds the looked-up columns, converting int8 text to numbers; a missing row gives nulls', async () => {
    const p = pipeline(`select name, tier from ${table} where id = $1`);
    try {
      assert.deepEqual((await p.process(input(42)))[0]!.value, {
        id: 1,
        customer_id: 42,
        customer_name: 'Ada',
        tier: 3,
      });
      assert.deepEqual((await p.process(input(43)))[0]!.value, {
        id: 1,
        customer_id: 43,
        customer_name: null,
        tier: 9_000_000_000,
      });
      assert.deepEqual((await p.process(input(1)))[0]!.value, {
        id: 1,
        customer_id: 1,
        customer_name: null,
        tier: null,
      });
    } finally {
      await p.close();
    }
  });

  it('serves repeated lookups from the cache until the TTL passes', async () => {
    const p = pipeline(`select name, tier from ${table} where id = $1`, { cacheTtlMs: 60_000 });
    try {
      await p.process(input(42));
      await admin.query(`update ${table} set name = 'Ada L.' where id = 42`);
      assert.equal(((await p.process(input(42)))[0]!.value as Record<string, unknown>).customer_name, 'Ada');
    } finally {
      await p.close();
      await admin.query(`update ${table} set name = 'Ada' where id = 42`);
    }
  });

  it('a query slower than timeoutMs is a RetriableError; a broken query fails the record', async () => {
    const slow = pipeline(`select name, tier from ${table}, pg_sleep(2) where id = $1`, { timeoutMs: 200 });
    try {
      await assert.rejects(
        slow.process(input(42)),
        (e: unknown) => e instanceof RetriableError && /steps\[0\]\.enrich/.test(e.message),
      );
    } finally {
      await slow.close();
    }
    const broken = pipeline(`select name, tier from ${table} where nope = $1`);
    try {
      await assert.rejects(
        broken.process(input(42)),
        (e: unknown) => e instanceof StepFailedError && e.code === 'LOOKUP_FAILED',
      );
    } finally {
      await broken.close();
    }
  });
});
