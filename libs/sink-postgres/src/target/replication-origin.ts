import { type ClientBase, type Pool } from 'pg';
import { EnvironmentError } from '@sluice/errors';

/** SQLSTATEs of the origin functions: origin missing, already active in another session, no privilege. */
const UNDEFINED_OBJECT = '42704';
const OBJECT_IN_USE = '55006';
const UNIQUE_VIOLATION = '23505';
const INSUFFICIENT_PRIVILEGE = '42501';

const codeOf = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

/** Resets a connection's origin (not when `discarded`) and gives its lease back. */
export type Detach = (discarded?: boolean) => Promise<void>;

/** `target.replicationOrigin` as configured: off, on (named for the group), or a name. */
export type ReplicationOriginSetting = boolean | string;

/**
 * The origin a sink writes with: `true` names it `sluice_<group>` (anything but letters, digits and
 * `_` turned into `_`), a string is the name itself, `false` is none.
 */
export function replicationOriginName(setting: ReplicationOriginSetting, group: string): string | undefined {
  if (setting === false) return undefined;
  if (setting === true) return `sluice_${group.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return setting;
}

/**
 * Marks the sink's write transactions with a Postgres replication origin, so that Postgres records
 * the origin of every change the sink writes and a logical decoding client can leave them out
 * (pgoutput's `origin 'none'`: the other direction's source-postgres with `events.skipOrigins`).
 *
 * A replication origin is active in one session at a time, and a sink writes on several pooled
 * connections at once: each write transaction leases one of the sink's origins for its
 * connection (`<name>` first, then `<name>#1`, `<name>#2`, ... only as many as write at once),
 * sets it up before BEGIN and resets it after COMMIT/ROLLBACK, so an idle pooled connection holds
 * no origin state (the server has `max_active_replication_origins` of them, 10 by default). An
 * origin active in another process (another instance of the group) is passed over. Origins are
 * created on first use and kept (they are a catalog row each; `pg_replication_origin_drop` removes
 * them).
 */
export class ReplicationOrigin {
  /** Lease numbers this process holds now. */
  private readonly leased = new Set<number>();

  constructor(readonly name: string) {}

  /**
   * At start: the role may use replication origins (superuser, or EXECUTE granted on the origin
   * functions), else a clear refusal. Sets the first origin up and resets it on one connection.
   */
  async verify(pool: Pool): Promise<void> {
    const client = await pool.connect();
    let broken = false;
    try {
      const release = await this.attach(client);
      await release();
    } catch (error) {
      broken = true;
      if (codeOf(error) === INSUFFICIENT_PRIVILEGE)
        throw new EnvironmentError(
          `target.replicationOrigin: the target role may not use replication origins (${(error as Error).message}); ` +
            'connect as a superuser or GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text), ' +
            'pg_replication_origin_session_setup(text), pg_replication_origin_session_reset() TO the role',
          { cause: error, code: 'PG_REPLICATION_ORIGIN' },
        );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Sets a leased origin up on `client` (outside a transaction: a first use creates the origin);
   * answers the function that resets it and gives the lease back. When the connection is to be
   * destroyed (`discarded`), or the reset fails, the caller destroys it (`release(true)`): its
   * origin is freed with its session, and only the lease is given back here.
   */
  async attach(client: ClientBase): Promise<Detach> {
    const passed = new Set<number>();
    for (;;) {
      const lease = this.lowestFree(passed);
      const name = lease === 0 ? this.name : `${this.name}#${lease}`;
      this.leased.add(lease);
      try {
        await this.setup(client, name);
      } catch (error) {
        this.leased.delete(lease);
        // Active in another session of another process: the next one.
        if (codeOf(error) === OBJECT_IN_USE && passed.size < 1000) {
          passed.add(lease);
          continue;
        }
        throw error;
      }
      return async (discarded = false) => {
        try {
          if (!discarded) await client.query('SELECT pg_replication_origin_session_reset()');
        } finally {
          this.leased.delete(lease);
        }
      };
    }
  }

  private async setup(client: ClientBase, name: string): Promise<void> {
    try {
      await client.query('SELECT pg_replication_origin_session_setup($1)', [name]);
    } catch (error) {
      if (codeOf(error) !== UNDEFINED_OBJECT) throw error;
      // First use of this origin: create it (another process may just have) and set it up.
      await client.query('SELECT pg_replication_origin_create($1)', [name]).catch((created: unknown) => {
        if (codeOf(created) !== UNIQUE_VIOLATION) throw created;
      });
      await client.query('SELECT pg_replication_origin_session_setup($1)', [name]);
    }
  }

  private lowestFree(passed: ReadonlySet<number>): number {
    let lease = 0;
    while (this.leased.has(lease) || passed.has(lease)) lease++;
    return lease;
  }
}
