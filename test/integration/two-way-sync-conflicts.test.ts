// Two-way sync's conflict resolution on two real databases of the shared stack (`source` = site a,
// `sink` = site b; one unique schema in each), four apps in-process as in two-way-sync.test.ts, the
// sinks with `sync`, all four as `sluice sync plan` derives them. Concurrent changes of one row are made really concurrent: one side's
// transaction holds the row while the other side commits, so each side writes before it sees the
// other's change and the commit order is known. Both sides must end equal, on the rule's winner,
// with each overruled change in sluice_conflicts on the side that overruled it.
// last-writer-wins needs track_commit_timestamp (the stack turns it on); on a server without it
// those cases are skipped and the sinks' default rule is source-priority.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { type ConnectorApp, createConnectorApp, type RunningConnector } from '@sluice/connect';
import { ConfigError } from '@sluice/errors';
import { type RunningSource, sourcePostgresConnector } from '@sluice/postgres-cdc';
import { planTwoWaySync } from '@sluice/connectors';
import { type SinkPostgresConfigInput, sinkPostgresConnector } from '@sluice/sink-postgres';
import { stackAddresses } from '@sluice/test-support';
import { type SourceApp, SourceTestBed } from './source-postgres-harness';

const TABLES = ['lww_items', 'prio_items'] as const;
/** Column-level merge (`merge: true`): two value columns. */
const MERGE = 'merge_items';

describe(
  'two-way sync: conflicts resolved deterministically, both sides converge',
  { timeout: 240_000 },
  () => {
    let bed: SourceTestBed;
    let b: Client;
    let name: string;
    let tracking = false;
    let sourceB: SourceApp | undefined;
    const sinks: ConnectorApp<RunningConnector>[] = [];
    // The topics `sluice sync plan` names: <name>.<site>.<schema>.<table>.
    const topicA = (table: string) => `${name}.a.${name}.${table}`;
    const topicB = (table: string) => `${name}.b.${name}.${table}`;

    const rowsOf = async (client: Client, table: string): Promise<string[]> =>
      (
        await client.query<{ id: number; v: string | null }>(`SELECT id, v FROM ${name}.${table} ORDER BY id`)
      ).rows.map((r) => `${r.id}:${r.v}`);

    const converged = async (table: string, expected: string[]): Promise<void> => {
      let last = '';
      await bed
        .waitFor(
          async () => {
            const [onA, onB] = [await rowsOf(bed.pg, table), await rowsOf(b, table)];
            last = `a: ${onA.join(' ')} | b: ${onB.join(' ')}`;
            return (
              (JSON.stringify(onA) === JSON.stringify(expected) &&
                JSON.stringify(onB) === JSON.stringify(expected)) ||
              undefined
            );
          },
          30_000,
          `${table} equal to ${expected.join(' ')} on both sides`,
        )
        .catch((error: Error) => {
          throw new Error(`${error.message} (last seen ${last})`, { cause: error });
        });
    };

    /** `first` writes inside an open transaction, `second` commits, then `first` commits: first wins by time. */
    const concurrently = async (
      first: Client,
      firstSql: string,
      second: Client,
      secondSql: string,
      holdMs = 5,
    ) => {
      await first.query('BEGIN');
      await first.query(firstSql);
      await second.query(secondSql);
      // Commit times are compared in milliseconds: at the same one, the site id would decide.
      // Held longer, the other side's change reaches the sink while the row is held.
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      await first.query('COMMIT');
    };

    const conflictsOn = async (client: Client): Promise<string[]> =>
      (
        await client.query<{ line: string }>(
          `SELECT format('%s %s %s %s winner=%s kept=%s', split_part(table_name, '.', 2), row_key->>'id', op, rule, ` +
            `winner, coalesce(kept->>'v', '-')) AS line FROM ${name}.sluice_conflicts ORDER BY 1`,
        )
      ).rows.map((r) => r.line);

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
        kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-two-way-conflicts' },
        registry: { url: stack.registryUrl },
        http: { host: '127.0.0.1', port: 0 },
        logging: { level: 'error' },
        ...overrides,
      };
    };

    let a2: Client;
    let b2: Client;

    before(async () => {
      bed = await SourceTestBed.open('it_twc');
      name = bed.name;
      b = new Client({ ...stackAddresses().postgres, database: 'sink' });
      await b.connect();
      b2 = new Client({ ...stackAddresses().postgres, database: 'sink' });
      await b2.connect();
      a2 = await bed.client();
      tracking =
        (await b.query<{ on: string }>("SELECT current_setting('track_commit_timestamp') AS on")).rows[0]
          .on === 'on';
      await b.query(`CREATE SCHEMA ${name}`);
      for (const table of TABLES)
        for (const side of [bed.pg, b]) {
          await side.query(`CREATE TABLE ${name}.${table} (id int PRIMARY KEY, v text)`);
          // Full before images: a change made on top of the row here is told from a conflict.
          await side.query(`ALTER TABLE ${name}.${table} REPLICA IDENTITY FULL`);
        }
      for (const table of TABLES) {
        await bed.sql(`INSERT INTO ${name}.${table} SELECT g, 'a0' FROM generate_series(1, 5) g`);
        await b.query(`INSERT INTO ${name}.${table} VALUES (100, 'b0')`);
      }
      for (const side of [bed.pg, b]) {
        await side.query(`CREATE TABLE ${name}.${MERGE} (id int PRIMARY KEY, x text, y text)`);
        await side.query(`ALTER TABLE ${name}.${MERGE} REPLICA IDENTITY FULL`);
      }
      await bed.sql(`INSERT INTO ${name}.${MERGE} VALUES (1, 'x0', 'y0'), (2, 'x0', 'y0')`);
      await b.query(`INSERT INTO ${name}.${MERGE} VALUES (100, 'x0', 'y0')`);
      // The four apps as `sluice sync plan` derives them from one document; the suite only moves
      // their HTTP ports, bookkeeping schema and timeouts.
      const stack = stackAddresses();
      const plan = planTwoWaySync({
        name,
        sites: {
          a: { postgres: { ...stack.postgres, database: 'source' } },
          b: { postgres: { ...stack.postgres, database: 'sink' } },
        },
        tables: [...TABLES, MERGE].map((t) => `${name}.${t}`),
        rule: tracking ? 'last-writer-wins' : 'source-priority',
        prioritySite: 'a',
        tableRules: { [`${name}.prio_items`]: 'source-priority' },
        merge: true,
        kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-two-way-conflicts' },
        registry: { url: stack.registryUrl },
      });
      const planned = (app: string) => plan.find((p) => p.name === app)!.config;
      const http = { host: '127.0.0.1', port: 0 };
      bed.trackSlot(`${name}_a`);
      const sourceA = await bed.startApp({ ...planned('source-a'), http });
      sourceB = await createConnectorApp<RunningSource>(
        sourcePostgresConnector,
        sourcePostgresConnector.configSchema.parse(bed.config({ ...planned('source-b'), http })),
      );
      await bed.waitForStatus(sourceA.url, (s) => s.phase === 'streaming');
      await bed.waitForStatus(sourceB.url, (s) => s.phase === 'streaming');
      const reader = await bed.consume([...TABLES, MERGE].flatMap((t) => [topicA(t), topicB(t)]));
      await reader.until((records) => records.length >= 15);
      for (const app of ['sink-a-to-b', 'sink-b-to-a']) {
        const config = planned(app) as { target: Record<string, unknown> };
        sinks.push(
          await createConnectorApp(
            sinkPostgresConnector,
            sinkPostgresConnector.configSchema.parse(
              sinkConfig({ ...config, target: { ...config.target, bookkeepingSchema: name }, http }),
            ),
          ),
        );
      }
      for (const table of TABLES) await converged(table, ['1:a0', '2:a0', '3:a0', '4:a0', '5:a0', '100:b0']);
    });

    after(async () => {
      for (const sink of sinks) await sink.close().catch(() => undefined);
      await sourceB?.close().catch(() => undefined);
      await a2?.end().catch(() => undefined);
      await b2?.end().catch(() => undefined);
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
        await b
          .query(
            `SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE 'sluice_${name}%'`,
          )
          .catch(() => undefined);
        await b.end();
      }
      await bed.sql(`DROP PUBLICATION IF EXISTS ${name}_a`).catch(() => undefined);
      await bed
        .sql(
          `SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE 'sluice_${name}%'`,
        )
        .catch(() => undefined);
      await bed?.cleanup();
    });

    it('last writer wins: concurrent updates and delete against update end on the later commit', async (t) => {
      if (!tracking) return t.skip('track_commit_timestamp is off on this Postgres (restart the stack)');
      const lww = `${name}.lww_items`;
      // 1: b commits last; 2: a commits last.
      await concurrently(
        b2,
        `UPDATE ${lww} SET v = 'b1' WHERE id = 1`,
        bed.pg,
        `UPDATE ${lww} SET v = 'a1' WHERE id = 1`,
      );
      await concurrently(
        a2,
        `UPDATE ${lww} SET v = 'a2' WHERE id = 2`,
        b,
        `UPDATE ${lww} SET v = 'b2' WHERE id = 2`,
      );
      // 3: b's delete is later than a's update; 4: a's update is later than b's delete.
      await concurrently(
        b2,
        `DELETE FROM ${lww} WHERE id = 3`,
        bed.pg,
        `UPDATE ${lww} SET v = 'a3' WHERE id = 3`,
      );
      await concurrently(a2, `UPDATE ${lww} SET v = 'a4' WHERE id = 4`, b, `DELETE FROM ${lww} WHERE id = 4`);
      await converged('lww_items', ['1:b1', '2:a2', '4:a4', '5:a0', '100:b0']);
      // A row deleted on both sides stays deleted: an older update from either side does not bring it back.
      await bed.sql(`UPDATE ${lww} SET v = 'a5' WHERE id = 5`);
      await converged('lww_items', ['1:b1', '2:a2', '4:a4', '5:a5', '100:b0']);
    });

    it('source priority: the priority site wins a concurrent change whatever the times; others pass', async () => {
      const prio = `${name}.prio_items`;
      // b commits last, a (the priority site) still wins.
      await concurrently(
        b2,
        `UPDATE ${prio} SET v = 'b1' WHERE id = 1`,
        bed.pg,
        `UPDATE ${prio} SET v = 'a1' WHERE id = 1`,
      );
      await converged('prio_items', ['1:a1', '2:a0', '3:a0', '4:a0', '5:a0', '100:b0']);
      // Not concurrent: b's change made on top of a's row crosses (its before image equals a's row).
      await b.query(`UPDATE ${prio} SET v = 'b2' WHERE id = 2`);
      await b.query(`DELETE FROM ${prio} WHERE id = 3`);
      await converged('prio_items', ['1:a1', '2:b2', '4:a0', '5:a0', '100:b0']);
      // A delete on b against a concurrent update on a: a's update wins, the row comes back on b.
      await concurrently(
        b2,
        `DELETE FROM ${prio} WHERE id = 4`,
        bed.pg,
        `UPDATE ${prio} SET v = 'a4' WHERE id = 4`,
      );
      await converged('prio_items', ['1:a1', '2:b2', '4:a4', '5:a0', '100:b0']);
      // A delete on a (the priority site) held while b's update of the row reaches a's sink: the
      // sink decides on a row that is then deleted under it, sees the tombstone when recording
      // the writer, and writes the batch again (no resurrection); on b, a's delete wins.
      await concurrently(
        a2,
        `DELETE FROM ${prio} WHERE id = 5`,
        b,
        `UPDATE ${prio} SET v = 'b5' WHERE id = 5`,
        1500,
      );
      await converged('prio_items', ['1:a1', '2:b2', '4:a4', '100:b0']);
    });

    it('column-level merge: concurrent updates of different columns both stay, on both sides; of one column, the winner’s row', async () => {
      const merge = `${name}.${MERGE}`;
      const rowsOfMerge = async (client: Client) =>
        (
          await client.query<{ line: string }>(
            `SELECT concat_ws(':', id, x, y) AS line FROM ${merge} ORDER BY id`,
          )
        ).rows.map((r) => r.line);
      await bed.waitFor(
        async () => (await rowsOfMerge(b)).length === 3 || undefined,
        30_000,
        'merge_items on b',
      );
      // b commits last, whatever the rule: each side changed its own column.
      await concurrently(
        b2,
        `UPDATE ${merge} SET x = 'bx' WHERE id = 1`,
        bed.pg,
        `UPDATE ${merge} SET y = 'ay' WHERE id = 1`,
      );
      const both = async (expected: string[]) => {
        let last = '';
        await bed
          .waitFor(
            async () => {
              const [onA, onB] = [await rowsOfMerge(bed.pg), await rowsOfMerge(b)];
              last = `a: ${onA.join(' ')} | b: ${onB.join(' ')}`;
              return (
                (JSON.stringify(onA) === JSON.stringify(expected) &&
                  JSON.stringify(onB) === JSON.stringify(expected)) ||
                undefined
              );
            },
            30_000,
            `merge_items equal to ${expected.join(' ')} on both sides`,
          )
          .catch((error: Error) => {
            throw new Error(`${error.message} (last seen ${last})`, { cause: error });
          });
      };
      await both(['1:bx:ay', '2:x0:y0', '100:x0:y0']);
      // A column changed on both (x): the rule decides for the whole row. a commits last and wins
      // (under either rule): both sides end on a's row, y included — which only b had changed.
      await concurrently(
        a2,
        `UPDATE ${merge} SET x = 'ax' WHERE id = 2`,
        b,
        `UPDATE ${merge} SET x = 'bx', y = 'by' WHERE id = 2`,
      );
      await both(['1:bx:ay', '2:ax:y0', '100:x0:y0']);
    });

    it('records every overruled change on the side that overruled it, counted per direction', async () => {
      const onA = [
        ...(tracking
          ? [
              'lww_items 2 u last-writer-wins winner=a kept=a2',
              'lww_items 4 d last-writer-wins winner=a kept=a4',
            ]
          : []),
        'prio_items 1 u source-priority winner=a kept=a1',
        'prio_items 4 d source-priority winner=a kept=a4',
        'prio_items 5 u source-priority winner=a kept=-',
        // b's update of x and y, overruled by a's of x (merge_items has no v: kept shows -).
        `merge_items 2 u ${tracking ? 'last-writer-wins' : 'source-priority'} winner=a kept=-`,
      ];
      const onB = tracking
        ? [
            'lww_items 1 u last-writer-wins winner=b kept=b1',
            'lww_items 3 u last-writer-wins winner=b kept=-',
          ]
        : [];
      assert.deepEqual(await conflictsOn(bed.pg), onA.sort());
      assert.deepEqual(await conflictsOn(b), onB.sort());
      const statuses: Array<{ conflicts: number; sync: { site: string; commitTimestamps: boolean } }> = [];
      for (const sink of sinks) statuses.push((await (await fetch(`${sink.url}/status`)).json()) as never);
      assert.deepEqual(
        statuses.map((s) => [s.sync.site, s.conflicts, s.sync.commitTimestamps]),
        [
          ['b', onB.length, tracking],
          ['a', onA.length, tracking],
        ],
      );
      const metrics = await (await fetch(`${sinks[1].url}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`sluice_sink_conflicts_total\\{group="${name}.b-to-a",direction="b->a"\\} ${onA.length}`),
      );
    });

    it('refuses a sync sink without a replication origin at start (it would echo)', async () => {
      const config = sinkPostgresConnector.configSchema.parse(
        sinkConfig({
          group: `${name}.echo`,
          topics: [topicA('lww_items')],
          target: { ...stackAddresses().postgres, database: 'sink', schema: name, bookkeepingSchema: name },
          sync: { site: 'b', peerSite: 'a', rule: 'source-priority', prioritySite: 'a' },
        }),
      );
      await assert.rejects(createConnectorApp(sinkPostgresConnector, config), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.path, 'target.replicationOrigin');
        assert.match(error.message, /echo/);
        return true;
      });
    });
  },
);
