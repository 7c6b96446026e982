import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { sinkHttpConnector } from './sink-http-connector';

const sinkHttpAppConfigSchema = sinkHttpConnector.configSchema;

const parse = (raw: unknown) =>
  parseConfig(sinkHttpAppConfigSchema, raw, { source: 'sink-http.yaml', env: {} });
const minimal = {
  group: 'g',
  topics: ['t'],
  destinations: [{ name: 'crm', url: 'https://crm.example.com/x' }],
};

describe('sinkHttpAppConfigSchema', () => {
  it('a minimal configuration gets the documented defaults', () => {
    const c = parse(minimal);
    assert.equal(c.keyFormat, 'avro');
    assert.equal(c.valueFormat, 'avro');
    assert.equal(c.tombstones, 'skip');
    assert.deepEqual(c.http, { host: '127.0.0.1', port: 8104 });
    assert.equal(c.runtime.concurrency.keysPerPartition, 16);
    assert.equal(c.runtime.output?.maxBatchRecords, 100);
    assert.equal(c.destinations[0]!.method, 'POST');
  });

  it('refuses what cannot work, naming the path', () => {
    const refused = (raw: unknown, path: RegExp) =>
      assert.throws(
        () => parse(raw),
        (e: unknown) => e instanceof ConfigError && path.test(e.message),
      );
    refused({ ...minimal, group: 'bad group' }, /at group/);
    refused({ ...minimal, http: { token: '' } }, /at http\.token/);
    refused({ ...minimal, topics: [] }, /at topics/);
    refused({ ...minimal, destinations: [] }, /at destinations: expected at least one destination/);
    refused({ ...minimal, valueFormat: 'protobuf' }, /at valueFormat/);
    refused(
      { ...minimal, runtime: { concurrency: { keysPerPartition: 0 } } },
      /at runtime\.concurrency\.keysPerPartition/,
    );
    refused(
      { ...minimal, destinations: [{ name: 'crm', url: 'https://x', timeouts: { readMs: 0 } }] },
      /at destinations\[0\]\.timeouts\.readMs/,
    );
    refused({ ...minimal, surprise: true }, /Unrecognized key/);
  });
});
