// Setup shared by the Postgres CDC suites: an admin connection to the stack's `source` database,
// unique object names, and cleanup that never leaves a replication slot behind (an abandoned slot
// retains WAL for everybody on the shared server).
import { Client } from 'pg';
import { Lsn, type PostgresConnectionOptions } from '@sluice/postgres-cdc';
import { stackAddresses, uniqueName } from '@sluice/test-support';

export class CdcTestDatabase {
  private readonly slots = new Set<string>();
  private readonly publications = new Set<string>();
  private readonly tables = new Set<string>();
  private readonly roles = new Set<string>();

  private constructor(
    readonly admin: Client,
    readonly base: string,
  ) {}

  static async open(prefix: string): Promise<CdcTestDatabase> {
    const admin = new Client(CdcTestDatabase.clientConfig());
    await admin.connect();
    return new CdcTestDatabase(admin, uniqueName(prefix).replace(/[^a-z0-9_]/g, '_'));
  }

  private static clientConfig(): {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
  } {
    return { ...stackAddresses().postgres, database: 'source' };
  }

  connectionOptions(overrides: Partial<PostgresConnectionOptions> = {}): PostgresConnectionOptions {
    return { ...CdcTestDatabase.clientConfig(), ...overrides };
  }

  /** A fresh plain client on the source database (caller ends it). */
  async client(): Promise<Client> {
    const client = new Client(CdcTestDatabase.clientConfig());
    await client.connect();
    return client;
  }

  slot(suffix: string): string {
    const name = `${this.base}_${suffix}`;
    this.slots.add(name);
    return name;
  }

  publication(suffix: string): string {
    const name = `${this.base}_${suffix}`;
    this.publications.add(name);
    return name;
  }

  table(suffix: string): string {
    const name = `${this.base}_${suffix}`;
    this.tables.add(name);
    return name;
  }

  role(suffix: string): string {
    const name = `${this.base}_${suffix}`;
    this.roles.add(name);
    return name;
  }

  async query<R extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.admin.query<R>(sql, params)).rows;
  }

  async slotState(
    slot: string,
  ): Promise<{ active_pid: number | null; confirmed_flush_lsn: string | null } | undefined> {
    const [row] = await this.query<{ active_pid: number | null; confirmed_flush_lsn: string | null }>(
      'SELECT active_pid, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return row;
  }

  async confirmedFlush(slot: string): Promise<Lsn | undefined> {
    const lsn = (await this.slotState(slot))?.confirmed_flush_lsn;
    return lsn ? Lsn.parse(lsn) : undefined;
  }

  /** Terminates the walsender streaming from `slot` (as a crash or an administrator would). */
  async terminateWalsender(slot: string): Promise<number> {
    const pid = await this.waitFor(async () => (await this.slotState(slot))?.active_pid ?? undefined);
    await this.query('SELECT pg_terminate_backend($1)', [pid]);
    return pid;
  }

  async waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async cleanup(): Promise<void> {
    try {
      for (const slot of this.slots) {
        const state = await this.slotState(slot);
        if (state === undefined) continue;
        if (state.active_pid !== null)
          await this.query('SELECT pg_terminate_backend($1)', [state.active_pid]);
        await this.waitFor(async () => (await this.slotState(slot))?.active_pid === null || undefined).catch(
          () => 0,
        );
        await this.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
      }
      for (const publication of this.publications)
        await this.query(`DROP PUBLICATION IF EXISTS "${publication}"`);
      for (const table of this.tables) await this.query(`DROP TABLE IF EXISTS "${table}" CASCADE`);
      for (const role of this.roles) await this.query(`DROP ROLE IF EXISTS "${role}"`);
    } finally {
      await this.admin.end();
    }
  }
}

/** Drains `iterator` until `count` items arrived or `timeoutMs` passed. */
export async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 15_000): Promise<T[]> {
  const items: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (items.length < count) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`take: got ${items.length} of ${count} items within ${timeoutMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), remaining)),
    );
    const result = await Promise.race([iterator.next(), timeout]);
    clearTimeout(timer);
    if (result === 'timeout')
      throw new Error(`take: got ${items.length} of ${count} items within ${timeoutMs} ms`);
    if (result.done) throw new Error(`take: the iterator ended after ${items.length} of ${count} items`);
    items.push(result.value);
  }
  return items;
}
