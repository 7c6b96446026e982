// Shared by the two-way sync suites that run the four apps as child processes (what kill -9 hits):
// two real databases of the local stack (`source` = site a, `sink` = site b; one unique schema in
// each), the apps as `sluice sync plan` derives them from one document, a random writer per side,
// and the checks every such suite makes: both sides equal row for row, each change published once
// in its own direction (per source LSN and key), no echo, topics quiet once the writers stop.
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { planTwoWaySync } from '@sluice/connectors';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { AppChild, freePort, readCommitted, stackAddresses } from '@sluice/test-support';
import { type Envelope, SourceTestBed } from './source-postgres-harness';

const APPS = join(__dirname, '..', '..', 'apps');
export const SITES = ['a', 'b'] as const;
export type Site = (typeof SITES)[number];
export type AppName = 'source-a' | 'source-b' | 'sink-a-to-b' | 'sink-b-to-a';

/** One of the four apps as a child process, with its management URL. */
export class SyncApp extends AppChild {
  constructor(
    readonly name: AppName,
    config: object,
    readonly url: string,
  ) {
    super(
      join(APPS, name.startsWith('source') ? 'source-postgres' : 'sink-postgres', 'src', 'main.js'),
      config,
    );
  }
}

/** Columns of every synced table: the writer's side and sequence in `v`, a counter in `n`. */
const TABLE_DDL = (qualified: string) => `CREATE TABLE ${qualified} (id int PRIMARY KEY, v text, n int)`;

export interface TwoWayBedOptions {
  /** Rows on each side before the apps start, at keys of its own. Default 10. */
  readonly seed?: number;
  /**
   * `one-way`: only A → B (source-a and sink-a-to-b), without sync, replication origin or origin
   * filter: plain replication of the same tables, the bench's baseline. Default `two-way`.
   */
  readonly mode?: 'two-way' | 'one-way';
  /** More DDL per table and side, run before the apps start (a bench's timestamp trigger). */
  readonly prepare?: (client: Client, qualified: string) => Promise<void>;
}

export class TwoWayBed {
  readonly apps = new Map<AppName, SyncApp>();
  private readonly decoder = new RecordDecoder(
    new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }),
  );

  private constructor(
    readonly bed: SourceTestBed,
    readonly b: Client,
    readonly tables: readonly string[],
    /** last-writer-wins when the servers track commit times, else source-priority (site a). */
    readonly rule: 'last-writer-wins' | 'source-priority',
    readonly mode: 'two-way' | 'one-way',
  ) {}

  get name(): string {
    return this.bed.name;
  }

  /**
   * Both schemas with `tables` (REPLICA IDENTITY FULL), `seed` rows on each side at keys of its own
   * (a: 1…seed, b: seed+1…2·seed, so each side's snapshot creates its topic; one-way, on A only), then the four apps:
   * both sources streaming before either sink starts (a snapshot cannot tell a sink's rows).
   */
  static async open(
    prefix: string,
    tables: readonly string[],
    options: TwoWayBedOptions = {},
  ): Promise<TwoWayBed> {
    const seed = options.seed ?? 10;
    const bed = await SourceTestBed.open(prefix);
    const b = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await b.connect();
    const tracking =
      (await b.query<{ on: string }>("SELECT current_setting('track_commit_timestamp') AS on")).rows[0].on ===
      'on';
    const two = new TwoWayBed(
      bed,
      b,
      tables,
      tracking ? 'last-writer-wins' : 'source-priority',
      options.mode ?? 'two-way',
    );
    await b.query(`CREATE SCHEMA ${bed.name}`);
    for (const table of tables)
      for (const [side, from] of [
        [bed.pg, 1],
        [b, seed + 1],
      ] as const) {
        await side.query(TABLE_DDL(two.table(table)));
        // Full before images: an edit made on top of the other side's row is told from a conflict.
        await side.query(`ALTER TABLE ${two.table(table)} REPLICA IDENTITY FULL`);
        await options.prepare?.(side, two.table(table));
        const site = side === bed.pg ? 'a' : 'b';
        // One-way: B's own rows would never reach A.
        if (site === 'b' && two.mode === 'one-way') continue;
        await side.query(
          `INSERT INTO ${two.table(table)} SELECT g, '${site}:seed', 0 FROM generate_series($1::int, $2::int) g`,
          [from, from + seed - 1],
        );
      }
    await two.startApps();
    return two;
  }

  table(table: string): string {
    return `${this.name}.${table}`;
  }

  /** The topic of `site`'s own changes of `table` (`sluice sync plan`: <name>.<site>.<schema>.<table>). */
  topic(site: Site, table: string): string {
    return `${this.name}.${site}.${this.name}.${table}`;
  }

  client(site: Site): Client {
    return site === 'a' ? this.bed.pg : this.b;
  }

  /** A fresh connection to `site`'s database (the caller ends it). */
  async connect(site: Site): Promise<Client> {
    const client = new Client({ ...stackAddresses().postgres, database: site === 'a' ? 'source' : 'sink' });
    await client.connect();
    return client;
  }

  private async startApps(): Promise<void> {
    const stack = stackAddresses();
    const plan = planTwoWaySync({
      name: this.name,
      sites: {
        a: { postgres: { ...stack.postgres, database: 'source' } },
        b: { postgres: { ...stack.postgres, database: 'sink' } },
      },
      tables: this.tables.map((t) => this.table(t)),
      rule: this.rule,
      prioritySite: 'a',
      merge: true,
      kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-two-way-load' },
      registry: { url: stack.registryUrl },
    });
    this.bed.trackSlot(`${this.name}_a`);
    const oneWay = this.mode === 'one-way';
    const planned = (app: AppName): Record<string, unknown> => {
      const config = { ...plan.find((p) => p.name === app)!.config };
      if (!oneWay) return config;
      // Plain replication: what two-way sync adds, taken away.
      delete config.events;
      delete config.sync;
      delete config.merge;
      if (config.target) config.target = { ...config.target, replicationOrigin: false };
      return config;
    };
    const sources = oneWay ? (['source-a'] as const) : (['source-a', 'source-b'] as const);
    const sinks = oneWay ? (['sink-a-to-b'] as const) : (['sink-a-to-b', 'sink-b-to-a'] as const);
    const sites = oneWay ? (['a'] as const) : SITES;
    for (const name of sources) {
      const port = await freePort();
      const config = this.bed.config({
        ...planned(name),
        http: { host: '127.0.0.1', port },
        logging: { level: 'warn' },
      });
      this.apps.set(name, new SyncApp(name, config, `http://127.0.0.1:${port}`));
    }
    for (const name of sinks) {
      const port = await freePort();
      const config = planned(name) as { target: Record<string, unknown> };
      this.apps.set(
        name,
        new SyncApp(
          name,
          {
            ...config,
            target: { ...config.target, bookkeepingSchema: this.name },
            // A restarted sink rejoins its group once the killed member's session has expired:
            // the broker's shortest (group.min.session.timeout.ms).
            runtime: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, revokeTimeoutMs: 2000 },
            http: { host: '127.0.0.1', port },
            logging: { level: 'warn' },
          },
          `http://127.0.0.1:${port}`,
        ),
      );
    }
    for (const name of sources) this.apps.get(name)!.start();
    for (const name of sources) await this.untilStreaming(name);
    await this.bed.waitFor(
      async () => {
        const counts = await Promise.all(
          sites.flatMap((site) =>
            this.tables.map((t) => this.endOffset(this.topic(site, t)).catch(() => 0n)),
          ),
        );
        return counts.every((c) => c > 0n) || undefined;
      },
      60_000,
      'every topic holds its side’s snapshot',
    );
    for (const name of sinks) this.apps.get(name)!.start();
  }

  /** Waits until a source's /status says streaming (after a start or restart). */
  async untilStreaming(name: 'source-a' | 'source-b', timeoutMs = 90_000): Promise<void> {
    const app = this.apps.get(name)!;
    let last = '';
    await this.bed
      .waitFor(
        async () => {
          const status = (await (await fetch(`${app.url}/status`)).json()) as { phase: string };
          last = status.phase;
          return status.phase === 'streaming' || undefined;
        },
        timeoutMs,
        `${name} streaming (last phase ${last || 'none'})`,
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${name} output:\n${app.output()}`, { cause: error });
      });
  }

  /** Rows of `table` on a side, `id:v:n` (or the `columns` given) in id order. */
  async rowsOf(site: Site, table: string, columns: readonly string[] = ['id', 'v', 'n']): Promise<string[]> {
    const { rows } = await this.client(site).query<{ line: string }>(
      `SELECT concat_ws(':', ${columns.join(', ')}) AS line FROM ${this.table(table)} ORDER BY id`,
    );
    return rows.map((r) => r.line);
  }

  /** Waits until both sides hold the same rows of `table`; the failure says where they differ. */
  async converged(
    table: string,
    timeoutMs = 90_000,
    columns: readonly string[] = ['id', 'v', 'n'],
  ): Promise<string[]> {
    let difference = '';
    return this.bed
      .waitFor(
        async () => {
          const [onA, onB] = [await this.rowsOf('a', table, columns), await this.rowsOf('b', table, columns)];
          if (JSON.stringify(onA) === JSON.stringify(onB)) return onA;
          const [setA, setB] = [new Set(onA), new Set(onB)];
          difference =
            `only on a: ${onA.filter((r) => !setB.has(r)).join(' ')} | ` +
            `only on b: ${onB.filter((r) => !setA.has(r)).join(' ')}`;
          return undefined;
        },
        timeoutMs,
        `${table} equal on both sides`,
      )
      .catch((error: Error) => {
        const logs = [...this.apps.values()].map((app) => `--- ${app.name}:\n${app.output().slice(-3000)}`);
        throw new Error(`${error.message} (${difference})\n${logs.join('\n')}`, { cause: error });
      });
  }

  /** Overruled changes of `table` recorded in `sluice_conflicts`, on both sides together. */
  async conflicts(table: string): Promise<number> {
    let count = 0;
    for (const site of SITES) {
      const { rows } = await this.client(site).query<{ n: string }>(
        `SELECT count(*) AS n FROM ${this.name}.sluice_conflicts WHERE table_name = $1`,
        [this.table(table)],
      );
      count += Number(rows[0].n);
    }
    return count;
  }

  /** The sum of a topic's end offsets (read committed or not: a count that moves with any write). */
  async endOffset(topic: string): Promise<bigint> {
    const admin = this.bed.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, o) => sum + BigInt(o.high), 0n);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Nothing echoes once the writers have stopped and both sides agree: the end offsets of both
   * directions' topics of `table` do not move for `quietMs` (a change coming back would be a new
   * event in the other direction's topic, and that one's echo a new one in the first).
   */
  async assertQuiet(table: string, quietMs = 5000): Promise<void> {
    const ends = async () => Promise.all(SITES.map((site) => this.endOffset(this.topic(site, table))));
    const before = await ends();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    assert.deepEqual(
      await ends(),
      before,
      `the topics of ${table} moved after both sides converged (an echo)`,
    );
  }

  /**
   * Each side's topic of `table`, read committed: every change made on that side (`changes`, the
   * rows the writer's committed statements touched) is there exactly once — counted per source LSN
   * and key, so a change published twice (crossing twice) shows as a repeat — and none was written
   * by the other side (every row image carries its writer's side in `v`): none echoed.
   */
  async assertCrossedOnce(table: string, changes: Record<Site, number>): Promise<void> {
    for (const site of SITES) {
      const topic = this.topic(site, table);
      const seen = new Map<string, number>();
      const foreign: string[] = [];
      for (const records of (await readCommitted(this.bed.kafka, topic)).values())
        for (const record of records) {
          if (record.value === null) continue; // a delete's tombstone
          const envelope = (await this.decoder.decode<Envelope>(record.value)).value;
          if (envelope.op === 'r') continue; // the seed rows' snapshot
          const key = JSON.stringify(structuredClone((await this.decoder.decode(record.key!)).value));
          const id = `${String(envelope.source.lsn)}/${key}`;
          seen.set(id, (seen.get(id) ?? 0) + 1);
          const image = envelope.after ?? envelope.before;
          const writer = String(image?.v ?? '').split(':')[0];
          // A delete's before image is the row as it was on this side: possibly the other side's write.
          if (envelope.op !== 'd' && writer !== site)
            foreign.push(`${envelope.op} ${key} v=${String(image?.v)}`);
        }
      const repeated = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
      assert.deepEqual(repeated, [], `${topic}: a change published more than once`);
      assert.deepEqual(foreign.slice(0, 10), [], `${topic}: changes written by the other side's sink (echo)`);
      assert.equal(seen.size, changes[site], `${topic}: one event per change made on site ${site}`);
    }
  }

  async close(): Promise<void> {
    for (const app of this.apps.values()) await app.kill('SIGTERM');
    for (const app of this.apps.values()) app.remove();
    const name = this.name;
    const slot = `${name}_b`;
    await this.bed
      .waitFor(async () => {
        const { rows } = await this.b.query<{ active_pid: number | null }>(
          'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        if (rows.length === 0) return true;
        if (rows[0].active_pid !== null)
          await this.b.query('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
        else await this.b.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return undefined;
      }, 15_000)
      .catch(() => undefined);
    const origins = `SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE 'sluice_${name}%'`;
    await this.b.query(`DROP PUBLICATION IF EXISTS ${name}_b`).catch(() => undefined);
    await this.b.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
    await this.b.query(origins).catch(() => undefined);
    await this.b.end();
    await this.bed.sql(`DROP PUBLICATION IF EXISTS ${name}_a`).catch(() => undefined);
    await this.bed.sql(origins).catch(() => undefined);
    await this.bed.cleanup();
  }
}

/** What one side's writers did: the row changes their committed statements made. */
export interface LoadResult {
  changes: number;
  statements: number;
  /** Transactions rolled back by a deadlock or serialization failure against the sink (not counted). */
  rolledBack: number;
}

/**
 * Random inserts (upserts), updates (of v and n, or of v only) and deletes of keys 1…`keys` on one side, by `writers`
 * connections at once, until `stop()` is true; one transaction in five holds two or three
 * statements. Values carry the side and a sequence (`a:17`), so every row image names its writer.
 */
export async function randomLoad(
  two: TwoWayBed,
  site: Site,
  table: string,
  options: { keys: number; writers: number; pauseMs: number; stop: () => boolean },
): Promise<LoadResult> {
  const result: LoadResult = { changes: 0, statements: 0, rolledBack: 0 };
  let seq = 0;
  const qualified = two.table(table);
  const statement = (): [string, unknown[]] => {
    const id = 1 + Math.floor(Math.random() * options.keys);
    const v = `${site}:${++seq}`;
    const dice = Math.random();
    if (dice < 0.4)
      return [
        `INSERT INTO ${qualified} (id, v, n) VALUES ($1, $2, 0) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, n = ${qualified}.n + 1`,
        [id, v],
      ];
    if (dice < 0.6) return [`UPDATE ${qualified} SET v = $2, n = n + 1 WHERE id = $1`, [id, v]];
    // Some columns only: with merge, a change of v only meets the other side's change of v and n.
    if (dice < 0.75) return [`UPDATE ${qualified} SET v = $2 WHERE id = $1`, [id, v]];
    return [`DELETE FROM ${qualified} WHERE id = $1`, [id]];
  };
  await Promise.all(
    Array.from({ length: options.writers }, async () => {
      const client = await two.connect(site);
      try {
        while (!options.stop()) {
          const count = Math.random() < 0.2 ? 2 + Math.floor(Math.random() * 2) : 1;
          let touched = 0;
          try {
            if (count > 1) await client.query('BEGIN');
            for (let i = 0; i < count; i++) {
              const [sql, params] = statement();
              touched += (await client.query(sql, params)).rowCount ?? 0;
            }
            if (count > 1) await client.query('COMMIT');
            result.changes += touched;
            result.statements += count;
          } catch (error) {
            // Two writers (one the sink) locking rows in opposite orders: Postgres ends one.
            const code = (error as { code?: string }).code;
            if (code !== '40P01' && code !== '40001') throw error;
            await client.query('ROLLBACK').catch(() => undefined);
            result.rolledBack++;
          }
          await new Promise((resolve) => setTimeout(resolve, options.pauseMs * Math.random() * 2));
        }
      } finally {
        await client.end();
      }
    }),
  );
  return result;
}
