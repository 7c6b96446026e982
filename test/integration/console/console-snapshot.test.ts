// The console asks a real source-postgres for an incremental snapshot (the management API's
// `POST /snapshots`, what `sluice snapshot --table` calls) and shows its progress: the request goes
// to the app that has the source, the rows are read again into the table's topic, and what the
// console or the source refuses comes back naming what was wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConsoleApp } from '@sluice/console';
import { stackAddresses } from '@sluice/test-support';
import { type SourceApp, SourceTestBed } from '../source-postgres-harness';

describe('console: incremental snapshot of a source table', { timeout: 180_000 }, () => {
  let bed: SourceTestBed;
  let source: SourceApp;
  let consoleApp: { url: string; close(): Promise<void> };
  let connector = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${consoleApp.url}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    bed = await SourceTestBed.open('it_console_snap');
    await bed.sql(`CREATE TABLE ${bed.table('items')} (id int PRIMARY KEY, note text)`);
    await bed.sql(`INSERT INTO ${bed.table('items')} SELECT g, 'row ' || g FROM generate_series(1, 300) g`);
    source = await bed.startApp({
      snapshot: { mode: 'never', incrementalChunkSize: 50 },
      signals: { table: bed.table('sluice_signals') },
    });
    await bed.waitForStatus(source.url, (s) => s.phase === 'streaming');
    consoleApp = await createConsoleApp(
      (await import('@sluice/console')).consoleConfigSchema.parse({
        apps: [{ url: source.url }],
        kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'it-console', logLevel: 'nothing' },
        registry: { url: stackAddresses().registryUrl },
        http: { host: '127.0.0.1', port: 0 },
        refreshMs: 500,
        logging: { level: 'warn' },
      }),
      { logDestination: { write: () => true } as never },
    );
    const overview = await call('GET', '/api/overview');
    const nodes = (overview.body.map as { nodes: Array<{ kind: string; type?: string; name: string }> })
      .nodes;
    connector = nodes.find((n) => n.kind === 'connector' && n.type === 'source')!.name;
  });

  after(async () => {
    await consoleApp?.close();
    await bed?.stopApp(source);
    await bed?.cleanup();
  });

  it('requests the snapshot on the source app; its rows come again into the topic', async () => {
    const asked = await call('POST', `/api/connectors/${connector}/snapshots`, {
      tables: [bed.table('items')],
    });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    assert.deepEqual(asked.body.tables, [bed.table('items')]);
    assert.equal(typeof asked.body.signalId, 'string');
    // The table's topic appears with the snapshot's first chunk (the source creates it then).
    const reader = await bed.consume([bed.topic('items')]);
    await bed.waitForStatus(
      source.url,
      (s) =>
        s.snapshot === undefined &&
        reader.records.filter((r) => r.value?.source.snapshot === 'incremental').length >= 300,
      120_000,
    );
  });

  it("refuses a malformed body (400 naming the field), an unknown table (the source's 404), a connector that is no source", async () => {
    const bad = await call('POST', `/api/connectors/${connector}/snapshots`, { tables: ['items'] });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /^body tables\.0: expected schema\.table/);
    const none = await call('POST', `/api/connectors/${connector}/snapshots`, {});
    assert.equal(none.status, 400);
    assert.match(String(none.body.message), /body tables: /);
    const unknown = await call('POST', `/api/connectors/${connector}/snapshots`, {
      tables: [`${bed.name}.nope`],
    });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    assert.match(String(unknown.body.message), /nope/);
    const nobody = await call('POST', '/api/connectors/nobody/snapshots', { tables: ['a.b'] });
    assert.equal(nobody.status, 404);
    assert.match(String(nobody.body.message), /no app of this console has a source connector named nobody/);
  });
});
