// Two-way sync's conflict resolution on two real databases of the shared stack (`source` = site a,
// `sink` = site b; one unique schema in each), four apps in-process as in two-way-sync.test.ts, the
// sinks with `sync`, all four as `sluice sync plan` derives them. Concurrent changes of one row are made really concurrent: one side's
// transaction holds the row while the other side commits, so each side writes before it sees the
// other's change and the commit order is known. Both sides must end equal, on the rule's winner,
// with each overruled change in sluice_conflicts on the side that overruled it.
// last-writer-wins needs track_commit_timestamp (the stack turns it on); on a server without it
// those cases are skipped and the sinks' default rule is source-priority. Tables with a resolution
// function (a Postgres function in both databases) are synced by the same four apps.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { type ConnectorApp, createConnectorApp, type RunningConnector } from '@sluice/connect';
import { ConfigError } from '@sluice/errors';
import { type RunningSource, sourcePostgresConnector } from '@sluice/postgres-cdc';
import { planTwoWaySync } from '@sluice/connectors';
import { type SinkPostgresConfigInput, sinkPostgresConnector } from '@sluice/sink-postgres';
import { readCommitted, stackAddresses } from '@sluice/test-support';
import { type SourceApp, SourceTestBed } from './source-postgres-harness';

const TABLES = ['lww_items', 'prio_items'] as const;
/** Column-level merge (`merge: true`): two value columns. */
const MERGE = 'merge_items';
/**
 * Tables decided by a resolution function (`tableRules: { function }`), by the function's name:
 * `resolve_max` merges accounts (the larger balance, the greater owner; a deletion wins),
 * `resolve_broken` throws for a change whose v ends in "throw" and answers 42 (no decision) else.
 */
const FUNCTION_TABLES = { fn_accounts: 'resolve_max', fn_broken: 'resolve_broken' } as const;
/** Empty at start on both sides: no change of it crosses before its test. */
const EARLY = 'early_deletes';

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

    /** `id:<columns...>` per row, by id (columns default: v). */
    const rowsOf = async (client: Client, table: string, columns = ['v']): Promise<string[]> =>
      (
        await client.query<{ line: string }>(
          `SELECT concat_ws(':', id, ${columns.map((c) => `coalesce(${c}::text, 'null')`).join(', ')}) AS line ` +
            `FROM ${name}.${table} ORDER BY id`,
        )
      ).rows.map((r) => r.line);

    const converged = async (table: string, expected: string[], columns?: string[]): Promise<void> => {
      let last = '';
      await bed
        .waitFor(
          async () => {
            const [onA, onB] = [await rowsOf(bed.pg, table, columns), await rowsOf(b, table, columns)];
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
      for (const side of [bed.pg, b]) {
        await side.query(`CREATE TABLE ${name}.fn_accounts (id int PRIMARY KEY, balance int, owner text)`);
        await side.query(`CREATE TABLE ${name}.fn_broken (id int PRIMARY KEY, v text)`);
        for (const table of Object.keys(FUNCTION_TABLES))
          await side.query(`ALTER TABLE ${name}.${table} REPLICA IDENTITY FULL`);
        // Symmetric: both databases call it with the sides swapped and must answer the same.
        await side.query(
          `CREATE FUNCTION ${name}.resolve_max(l jsonb, i jsonb, l_ts bigint, i_ts bigint, l_site text, ` +
            `i_site text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT CASE ` +
            `WHEN l IS NULL THEN '"local"'::jsonb WHEN i IS NULL THEN '"incoming"'::jsonb ` +
            `ELSE l || jsonb_build_object('balance', greatest((l->>'balance')::int, (i->>'balance')::int), ` +
            `'owner', greatest(l->>'owner', i->>'owner')) END $$`,
        );
        await side.query(
          `CREATE FUNCTION ${name}.resolve_broken(l jsonb, i jsonb, l_ts bigint, i_ts bigint, l_site text, ` +
            `i_site text) RETURNS jsonb LANGUAGE plpgsql AS $$ BEGIN ` +
            `IF i->>'v' LIKE '%throw' THEN RAISE EXCEPTION 'no rule for %', i->>'v'; END IF; ` +
            `RETURN '42'::jsonb; END $$`,
        );
      }
      for (const side of [bed.pg, b]) {
        await side.query(`CREATE TABLE ${name}.${EARLY} (id int PRIMARY KEY, v text)`);
        await side.query(`ALTER TABLE ${name}.${EARLY} REPLICA IDENTITY FULL`);
      }
      await bed.sql(`INSERT INTO ${name}.fn_accounts SELECT g, 100, 'o' FROM generate_series(1, 3) g`);
      await bed.sql(`INSERT INTO ${name}.fn_broken SELECT g, 'a0' FROM generate_series(1, 2) g`);
      // A row from b too: a's sink sees the tables (and leaves its tombstone trigger on them) at start.
      await b.query(`INSERT INTO ${name}.fn_accounts VALUES (100, 100, 'o')`);
      await b.query(`INSERT INTO ${name}.fn_broken VALUES (100, 'b0')`);
      // The four apps as `sluice sync plan` derives them from one document; the suite only moves
      // their HTTP ports, bookkeeping schema and timeouts.
      const stack = stackAddresses();
      const plan = planTwoWaySync({
        name,
        sites: {
          a: { postgres: { ...stack.postgres, database: 'source' } },
          b: { postgres: { ...stack.postgres, database: 'sink' } },
        },
        tables: [...TABLES, MERGE, EARLY, ...Object.keys(FUNCTION_TABLES)].map((t) => `${name}.${t}`),
        rule: tracking ? 'last-writer-wins' : 'source-priority',
        prioritySite: 'a',
        tableRules: {
          [`${name}.prio_items`]: 'source-priority',
          ...Object.fromEntries(
            Object.entries(FUNCTION_TABLES).map(([t, fn]) => [`${name}.${t}`, { function: `${name}.${fn}` }]),
          ),
        },
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
      await converged('fn_accounts', ['1:100:o', '2:100:o', '3:100:o', '100:100:o'], ['balance', 'owner']);
      await converged('fn_broken', ['1:a0', '2:a0', '100:b0']);
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

    it('a row deleted before any change of its table crossed leaves a tombstone: an older change from the other side does not bring it back', async (t) => {
      if (!tracking) return t.skip('track_commit_timestamp is off on this Postgres (restart the stack)');
      const early = `${name}.${EARLY}`;
      // The sinks put the tombstone trigger on each synced table at start, not at its first change.
      for (const side of [bed.pg, b]) {
        const { rowCount } = await side.query(
          `SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'sluice_sync_tombstone'`,
          [early],
        );
        assert.equal(rowCount, 1, 'the tombstone trigger is on the table before any change of it');
      }
      // Made on b, it reaches a through the sink writing into a; the sink writing into b meets no
      // change of the table.
      await b.query(`INSERT INTO ${early} VALUES (1, 'b0')`);
      await converged(EARLY, ['1:b0']);
      // b's delete commits after a's update: the delete wins on both sides.
      await concurrently(
        b2,
        `DELETE FROM ${early} WHERE id = 1`,
        bed.pg,
        `UPDATE ${early} SET v = 'a1' WHERE id = 1`,
      );
      await converged(EARLY, []);
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
            // a's older update of the row b deleted, overruled by b's tombstone.
            'early_deletes 1 u last-writer-wins winner=b kept=-',
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

    it('last writer wins: a row changed and changed back here after the other side’s change is no continuation of it', async (t) => {
      if (!tracking) return t.skip('track_commit_timestamp is off on this Postgres (restart the stack)');
      const lww = `${name}.lww_items`;
      // b's transaction changes row 100 and changes it back (b0 → bx → b0), holding it while a's
      // update (made on b0, before it saw anything of b's) commits and reaches the sink into b;
      // then b commits, later. b's row equals the before image of a's change, but it is a version
      // a never saw: the later writer (b) wins on both sides. Before, b took a's change as made on
      // top of its row and applied it, while a applied b's later changes: a1 on b, b0 on a.
      await b2.query('BEGIN');
      await b2.query(`UPDATE ${lww} SET v = 'bx' WHERE id = 100`);
      await b2.query(`UPDATE ${lww} SET v = 'b0' WHERE id = 100`);
      await bed.sql(`UPDATE ${lww} SET v = 'a100' WHERE id = 100`);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await b2.query('COMMIT');
      await converged('lww_items', ['1:b1', '2:a2', '4:a4', '5:a5', '100:b0']);
      // Overruled on b, where a's change arrived; on a, b's change won.
      assert.ok(
        (await conflictsOn(b)).includes('lww_items 100 u last-writer-wins winner=b kept=b0'),
        (await conflictsOn(b)).join('; '),
      );
      assert.ok(!(await conflictsOn(bed.pg)).some((c) => c.startsWith('lww_items 100 ')));
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

    it('a resolution function decides: concurrent balances merged by the larger on both sides, a deletion wins', async () => {
      const accounts = `${name}.fn_accounts`;
      const columns = ['balance', 'owner'];
      // 1: a's balance is the larger; 2: a's balance and b's owner, a row neither side wrote.
      await concurrently(
        b2,
        `UPDATE ${accounts} SET balance = 120 WHERE id = 1`,
        bed.pg,
        `UPDATE ${accounts} SET balance = 150 WHERE id = 1`,
      );
      await concurrently(
        a2,
        `UPDATE ${accounts} SET balance = 200, owner = 'a' WHERE id = 2`,
        b,
        `UPDATE ${accounts} SET balance = 130, owner = 'b' WHERE id = 2`,
      );
      // 3: deleted on a while b updates it: the function lets the deletion win on both sides.
      await concurrently(
        a2,
        `DELETE FROM ${accounts} WHERE id = 3`,
        b,
        `UPDATE ${accounts} SET balance = 999 WHERE id = 3`,
      );
      await converged('fn_accounts', ['1:150:o', '2:200:b', '100:100:o'], columns);
      // The merged rows are recorded on both sides (winner merged, kept the merged row); b's update
      // of the deleted row on a, overruled by the deletion the function kept.
      const rule = `function:${name}.resolve_max`;
      const recorded = async (client: Client) =>
        (
          await client.query<{ line: string }>(
            `SELECT format('%s %s %s winner=%s kept=%s', row_key->>'id', op, rule, winner, ` +
              `coalesce(kept->>'balance', '-')) AS line FROM ${name}.sluice_conflicts ` +
              `WHERE table_name = $1 ORDER BY 1`,
            [accounts],
          )
        ).rows.map((r) => r.line);
      assert.deepEqual(await recorded(bed.pg), [
        `1 u ${rule} winner=merged kept=150`,
        `2 u ${rule} winner=merged kept=200`,
        `3 u ${rule} winner=a kept=-`,
      ]);
      assert.deepEqual(await recorded(b), [
        `1 u ${rule} winner=merged kept=150`,
        `2 u ${rule} winner=merged kept=200`,
      ]);
      // A change made on top of the merged row is no conflict: it crosses as is.
      await b.query(`UPDATE ${accounts} SET balance = 10 WHERE id = 1`);
      await converged('fn_accounts', ['1:10:o', '2:200:b', '100:100:o'], columns);
    });

    it('a resolution function that throws or answers no decision: the change dead-lettered on both sides, the sinks go on', async () => {
      const broken = `${name}.fn_broken`;
      await concurrently(
        b2,
        `UPDATE ${broken} SET v = 'b-throw' WHERE id = 1`,
        bed.pg,
        `UPDATE ${broken} SET v = 'a-throw' WHERE id = 1`,
      );
      await concurrently(
        a2,
        `UPDATE ${broken} SET v = 'a2' WHERE id = 2`,
        b,
        `UPDATE ${broken} SET v = 'b2' WHERE id = 2`,
      );
      // Changes the target refused (dead-lettered by the sink's delivery itself).
      const deadLettered = async (sink: ConnectorApp<RunningConnector>) =>
        ((await (await fetch(`${sink.url}/status`)).json()) as { rowsRefused: number }).rowsRefused;
      await bed.waitFor(
        async () => (await deadLettered(sinks[0])) >= 2 && (await deadLettered(sinks[1])) >= 2,
        60_000,
        'both changes of fn_broken dead-lettered by both sinks',
      );
      for (const group of [`${name}.a-to-b`, `${name}.b-to-a`]) {
        const dead = [...(await readCommitted(bed.kafka, `${group}.dlq`)).values()]
          .flat()
          .map((r) => ({
            className: String(r.headers['__connect.errors.exception.class.name']),
            message: String(r.headers['__connect.errors.exception.message']),
          }))
          .sort((x, y) => x.message.localeCompare(y.message));
        assert.equal(dead.length, 2, `${group}.dlq: ${JSON.stringify(dead)}`);
        for (const d of dead) assert.equal(d.className, 'ConflictFunctionError', d.message);
        const fn = `${name}\\.resolve_broken`;
        assert.match(
          dead[0].message,
          new RegExp(`${fn} failed: no rule for [ab]-throw \\(SQLSTATE P0001\\)`),
        );
        assert.match(
          dead[1].message,
          new RegExp(`${fn} returned 42, expected "local", "incoming" or the row`),
        );
      }
      // Each side kept its own version (nothing written it cannot stand behind) ...
      assert.deepEqual(await rowsOf(bed.pg, 'fn_broken'), ['1:a-throw', '2:a2', '100:b0']);
      assert.deepEqual(await rowsOf(b, 'fn_broken'), ['1:b-throw', '2:b2', '100:b0']);
      // ... and the sinks are not stuck on the table: a change without conflict crosses.
      await bed.sql(`INSERT INTO ${broken} VALUES (3, 'a3')`);
      await bed.waitFor(
        async () => (await rowsOf(b, 'fn_broken')).includes('3:a3') || undefined,
        30_000,
        'fn_broken row 3 on b',
      );
    });

    it('refuses at start a resolution function missing or of another signature, naming the table and the function', async () => {
      await b.query(
        `CREATE FUNCTION ${name}.two_args(l jsonb, i jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT l $$`,
      );
      await b.query(
        `CREATE FUNCTION ${name}.returns_text(jsonb, jsonb, bigint, bigint, text, text) RETURNS text ` +
          `LANGUAGE sql AS $$ SELECT 'local' $$`,
      );
      const topic = topicA('fn_accounts');
      for (const [fn, message] of [
        [
          'no_such',
          /no_such\(jsonb, jsonb, bigint, bigint, text, text\) returns jsonb is not in database sink/,
        ],
        [
          'two_args',
          /two_args\(jsonb, jsonb, bigint, bigint, text, text\) returns jsonb is not in database sink \(found .*two_args\(l jsonb, i jsonb\) returns jsonb\)/,
        ],
        [
          'returns_text',
          /returns_text\(jsonb, jsonb, bigint, bigint, text, text\) in database sink returns text; expected/,
        ],
      ] as const) {
        const config = sinkPostgresConnector.configSchema.parse(
          sinkConfig({
            group: `${name}.fn`,
            topics: [topic],
            target: {
              ...stackAddresses().postgres,
              database: 'sink',
              schema: name,
              bookkeepingSchema: name,
              replicationOrigin: true,
            },
            sync: { site: 'b', peerSite: 'a' },
            tables: {
              [topic]: { table: `${name}.fn_accounts`, conflictRule: { function: `${name}.${fn}` } },
            },
          }),
        );
        // Checked against the target database when the sink prepares: the app stops, failed.
        const app = await createConnectorApp(sinkPostgresConnector, config);
        // Not refused within 30 s: fail saying what the app is doing instead (its /status).
        let timer: NodeJS.Timeout | undefined;
        try {
          const stuck = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              void fetch(`${app.url}/status`)
                .then((r) => r.text())
                .then((status) => reject(new Error(`${fn}: not refused within 30 s; /status ${status}`)));
            }, 30_000);
          });
          await assert.rejects(Promise.race([app.connector.done!, stuck]), (error: unknown) => {
            assert.ok(error instanceof ConfigError, String(error));
            assert.equal(error.path, `tables.${topic}.conflictRule`);
            assert.match(error.message, message);
            return true;
          });
        } finally {
          clearTimeout(timer);
          await app.close().catch(() => undefined);
        }
      }
    });
  },
);
