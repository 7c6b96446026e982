// Two-way sync between two real databases of the shared stack (`source` = A, `sink` = B, one unique
// schema in each), four apps in-process: source A → Kafka → sink into B, source B → Kafka → sink
// into A. The sinks write with replication origins (target.replicationOrigin); source A leaves out
// every change with an origin (events.skipOrigins: all, pgoutput origin 'none'), source B the
// AB sink's origins by name (the Origin message, dropped by the source). A change on either side
// appears on the other once and is never published again by the other side: each change is
// exactly one event in its own direction's topic and none in the other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { type ConnectorApp, createConnectorApp, type RunningConnector } from '@sluice/connect';
import { type RunningSource, sourcePostgresConnector } from '@sluice/postgres-cdc';
import { type SinkPostgresConfigInput, sinkPostgresConnector } from '@sluice/sink-postgres';
import { stackAddresses } from '@sluice/test-support';
import { type SourceApp, SourceTestBed, type TopicReader } from './source-postgres-harness';

const TABLE_DDL = (schema: string) => `CREATE TABLE ${schema}.items (id int PRIMARY KEY, v text)`;

describe('two-way sync: no echo between two databases', { timeout: 300_000 }, () => {
  let bed: SourceTestBed;
  let b: Client;
  let name: string;
  let sourceB: SourceApp | undefined;
  const sinks: ConnectorApp<RunningConnector>[] = [];
  let reader: TopicReader;
  let topicA: string;
  let topicB: string;

  /** Rows of `items` on a side, `id:v` in id order. */
  const rowsOf = async (client: Client): Promise<string[]> =>
    (
      await client.query<{ id: number; v: string | null }>(`SELECT id, v FROM ${name}.items ORDER BY id`)
    ).rows.map((r) => `${r.id}:${r.v}`);
  /** Change events (tombstones left out) of a topic as `op:id`. */
  const eventsOf = (topic: string): string[] =>
    reader
      .of(topic)
      .filter((r) => r.value !== null)
      .map((r) => `${r.value!.op}:${String((r.value!.after ?? r.value!.before)!.id)}`);

  const sinkConfig = (overrides: Partial<SinkPostgresConfigInput>): SinkPostgresConfigInput => {
    const stack = stackAddresses();
    return {
      topics: [],
      runtime: {
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1000,
        revokeTimeoutMs: 2000,
        shutdownTimeoutMs: 8000,
      },
      kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-two-way' },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port: 0 },
      logging: { level: 'error' },
      ...overrides,
    };
  };

  before(async () => {
    bed = await SourceTestBed.open('it_twoway');
    name = bed.name;
    b = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await b.connect();
    await b.query(`CREATE SCHEMA ${name}`);
    await bed.sql(TABLE_DDL(name));
    await b.query(TABLE_DDL(name));
    // A row on each side before the sources start: each side's snapshot (op r) creates its topic.
    await bed.sql(`INSERT INTO ${name}.items VALUES (1, 'a')`);
    await b.query(`INSERT INTO ${name}.items VALUES (2, 'b')`);
    topicA = bed.topic('items');
    topicB = `${name}.b.${name}.items`;
    // The sinks' bookkeeping columns (__sluice_lsn, __sluice_ts_ms) stay on their side.
    const common = {
      tables: { include: [`${name}.items`] },
      columns: { exclude: [`${name}.items.__sluice_*`] },
    };
    const sourceA = await bed.startApp({ ...common, events: { skipOrigins: 'all' } });
    sourceB = await createConnectorApp<RunningSource>(
      sourcePostgresConnector,
      sourcePostgresConnector.configSchema.parse(
        bed.config({
          ...common,
          topicPrefix: `${name}.b`,
          postgres: { ...stackAddresses().postgres, database: 'sink' },
          slot: { name: `${name}_b` },
          publication: { name: `${name}_b` },
          // The origins the AB sink writes with, by name: dropped by the source itself.
          events: { skipOrigins: [`sluice_${name}_ab`] },
        }),
      ),
    );
    // Both snapshots done before any sink writes: a snapshot cannot tell a row's origin.
    await bed.waitForStatus(sourceA.url, (s) => s.phase === 'streaming');
    await bed.waitForStatus(sourceB.url, (s) => s.phase === 'streaming');
    reader = await bed.consume([topicA, topicB]);
    await reader.until((records) => records.length >= 2);
    const stack = stackAddresses();
    for (const config of [
      // A → B: the origin named for the group, sluice_<name>_ab.
      sinkConfig({
        group: `${name}.ab`,
        topics: [topicA],
        target: {
          ...stack.postgres,
          database: 'sink',
          schema: name,
          bookkeepingSchema: name,
          replicationOrigin: true,
        },
      }),
      // B → A: an origin named in the configuration.
      sinkConfig({
        group: `${name}.ba`,
        topics: [topicB],
        target: {
          ...stack.postgres,
          database: 'source',
          schema: name,
          bookkeepingSchema: name,
          replicationOrigin: `${name}_into_a`,
        },
      }),
    ])
      sinks.push(
        await createConnectorApp(sinkPostgresConnector, sinkPostgresConnector.configSchema.parse(config)),
      );
  });

  after(async () => {
    for (const sink of sinks) await sink.close().catch(() => undefined);
    await sourceB?.close().catch(() => undefined);
    if (b !== undefined) {
      const slot = `${name}_b`;
      await bed
        .waitFor(async () => {
          const { rows } = await b.query<{ active_pid: number | null }>(
            'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
            [slot],
          );
          if (rows.length === 0) return true;
          if (rows[0].active_pid !== null)
            await b.query('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
          else await b.query('SELECT pg_drop_replication_slot($1)', [slot]);
          return undefined;
        }, 15_000)
        .catch(() => undefined);
      await b.query(`DROP PUBLICATION IF EXISTS ${name}_b`).catch(() => undefined);
      await b.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
      await b.end();
    }
    // The sinks' origins (one per connection that wrote at once); the sinks are closed.
    const origins = `roname LIKE 'sluice_${name}_ab%' OR roname LIKE '${name}_into_a%'`;
    await bed
      .sql(`SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE ${origins}`)
      .catch(() => undefined);
    await bed?.cleanup();
  });

  /** Waits until both sides hold `expected`. */
  const converged = async (expected: string[]): Promise<void> => {
    await bed.waitFor(
      async () => {
        const [onA, onB] = [await rowsOf(bed.pg), await rowsOf(b)];
        return (
          (JSON.stringify(onA) === JSON.stringify(expected) &&
            JSON.stringify(onB) === JSON.stringify(expected)) ||
          undefined
        );
      },
      60_000,
      `both sides equal to ${expected.join(', ')}`,
    );
  };

  /** Lets any echo arrive (heartbeats every second keep both slots moving), then checks the topics. */
  const quietly = async (expectedA: string[], expectedB: string[]): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, 6000));
    // Across partitions the order is per key only: compared as sets with their counts.
    assert.deepEqual(eventsOf(topicA).sort(), [...expectedA].sort(), 'events published by source A');
    assert.deepEqual(eventsOf(topicB).sort(), [...expectedB].sort(), 'events published by source B');
  };

  it('each side snapshots its own row; the applied rows do not come back', async () => {
    await converged(['1:a', '2:b']);
    await quietly(['r:1'], ['r:2']);
  });

  it('a change on A appears on B once and is not published again by B', async () => {
    await bed.sql(`UPDATE ${name}.items SET v = 'a1' WHERE id = 1`);
    await bed.sql(`INSERT INTO ${name}.items VALUES (3, 'a3')`);
    await converged(['1:a1', '2:b', '3:a3']);
    await quietly(['r:1', 'u:1', 'c:3'], ['r:2']);
  });

  it('changes on B appear on A once and are not published again by A', async () => {
    await b.query('BEGIN');
    await b.query(`UPDATE ${name}.items SET v = 'b2' WHERE id = 2`);
    await b.query(`DELETE FROM ${name}.items WHERE id = 1`);
    await b.query(`INSERT INTO ${name}.items VALUES (4, 'b4')`);
    await b.query('COMMIT');
    await b.query(`UPDATE ${name}.items SET v = 'b3' WHERE id = 3`);
    await converged(['2:b2', '3:b3', '4:b4']);
    await quietly(['r:1', 'u:1', 'c:3'], ['r:2', 'u:2', 'd:1', 'c:4', 'u:3']);
  });

  it('the sinks wrote with their origins, one per connection writing at once', async () => {
    const origins = await bed.sql<{ roname: string }>(
      `SELECT roname FROM pg_replication_origin WHERE roname LIKE 'sluice_${name}_ab%' OR roname LIKE '${name}_into_a%' ORDER BY roname`,
    );
    const names = origins.map((o) => o.roname);
    assert.ok(names.includes(`sluice_${name}_ab`), names.join(', '));
    assert.ok(names.includes(`${name}_into_a`), names.join(', '));
    const statuses: Array<{ replicationOrigin: string | null }> = [];
    for (const sink of sinks) statuses.push((await (await fetch(`${sink.url}/status`)).json()) as never);
    assert.deepEqual(
      statuses.map((s) => s.replicationOrigin),
      [`sluice_${name}_ab`, `${name}_into_a`],
    );
    // Source B drops the AB sink's changes itself (by name): counted, on /status and /metrics.
    const statusB = (await (await fetch(`${sourceB!.url}/status`)).json()) as {
      changesSkippedByOrigin: number;
    };
    assert.ok(statusB.changesSkippedByOrigin >= 2, `skipped ${statusB.changesSkippedByOrigin}`);
    const metrics = await (await fetch(`${sourceB!.url}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`sluice_source_origin_skipped_changes_total\\{source="${name}.b"\\} [1-9]`),
    );
  });
});
