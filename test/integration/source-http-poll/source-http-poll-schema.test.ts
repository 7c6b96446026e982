// Items in a declared Avro schema (streams[].schema.file), against the local test API and the real
// Kafka and registry: each item is written as a record of that schema, and an item that does not fit
// it is a stream error naming the item and the field, with nothing of the page published.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackAddresses } from '@sluice/test-support';
import { PollTestApi } from './poll-test-api';
import { polled, pollsEnded, PollTestBed, type StreamConfig } from './source-http-poll-harness';

const bed = new PollTestBed();
const dir = mkdtempSync(join(tmpdir(), 'sluice-http-poll-schema-'));

/** The test API's item as an Avro record; `version` of the given type. */
function schemaFile(name: string, versionType: 'int' | 'string'): string {
  const file = join(dir, `${name}.avsc`);
  writeFileSync(
    file,
    JSON.stringify({
      type: 'record',
      name: 'Customer',
      namespace: 'it.httppoll',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'name', type: 'string' },
        { name: 'updated_at', type: 'string' },
        { name: 'version', type: versionType },
      ],
    }),
  );
  return file;
}

function stream(name: string, base: string, schema: string): StreamConfig {
  return {
    name,
    topic: bed.topic(name),
    request: { url: `${base}/next-link/items`, query: { since: '{{ cursor.since }}' } },
    items: 'data',
    key: 'id',
    version: 'version',
    cursor: { field: 'updated_at', tieBreaker: 'id' },
    pagination: { type: 'next-link', path: 'next' },
    schedule: { intervalMs: 200 },
    schema: { file: schema },
  };
}

type Status = {
  streams: { name: string; phase: string; lastError?: string; items: { published: number } }[];
};

describe('source-http-poll: a declared Avro schema', () => {
  const api = new PollTestApi({ pageSize: 10 });
  let base: string;
  before(async () => {
    base = await api.start();
    api.seed(25);
  });
  after(async () => {
    await bed.cleanup();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each item as a record of the schema file, registered under <topic>-value', async () => {
    const s = stream('typed', base, schemaFile('customer', 'int'));
    const app = await bed.runningApp(bed.config([s], { name: 'poll-typed' }));
    await polled(app, 'typed', 1);
    const records = await bed.records(s.topic);
    assert.equal(records.length, 25);
    const byKey = new Map(records.map((r) => [r.key, r.value]));
    for (const item of api.items()) assert.deepEqual(byKey.get(item.id), { ...item }, item.id);
    const subject = await fetch(
      `${stackAddresses().registryUrl}/subjects/${s.topic}-value/versions/latest`,
    ).then((r) => r.json() as Promise<{ schema: string }>);
    const registered = JSON.parse(subject.schema) as {
      name: string;
      namespace?: string;
      fields: { name: string }[];
    };
    const fullName = registered.name.includes('.')
      ? registered.name
      : `${registered.namespace}.${registered.name}`;
    assert.equal(fullName, 'it.httppoll.Customer');
    assert.deepEqual(
      registered.fields.map((f) => f.name),
      ['id', 'name', 'updated_at', 'version'],
    );
  });

  it('an item that does not fit the schema (version a number, the schema says string) is a stream error naming the item and field; nothing published', async () => {
    const s = stream('misfit', base, schemaFile('customer-string-version', 'string'));
    const app = await bed.runningApp(bed.config([s], { name: 'poll-misfit' }));
    await pollsEnded(app, 'misfit', 2);
    const status = (app.connector.status() as Status).streams.find((x) => x.name === 'misfit')!;
    assert.match(status.lastError ?? '', /misfit: item c\d+ does not fit the schema at version/);
    assert.equal(status.phase, 'waiting', 'it tries again at its interval');
    assert.equal(status.items.published, 0);
    assert.equal((await bed.records(s.topic)).length, 0);
  });
});
