// source-postgres faults, end to end: what no retry can fix (wrong password, missing database, a
// role without REPLICATION) stops the source in phase `failed` with a clear lastError while the
// process and its API stay up; an unreachable registry is retried with backoff; a walsender
// terminated mid-stream is reconnected by the source itself, losing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { stackAddresses } from '@sluice/test-support';
import { freePort, getStatus, type SourceApp, SourceTestBed } from './source-postgres-harness';

/**
 * A TCP relay from 127.0.0.1:`port` to `host`:`targetPort`. `close` also ends the connections it
 * relays: a server's close alone leaves them open (a Kafka connection the broker keeps until its
 * connections.max.idle.ms, 10 minutes, holding the test process alive).
 */
async function tcpRelay(port: number, host: string, targetPort: number): Promise<{ close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(targetPort, host);
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('source-postgres faults', () => {
  let bed: SourceTestBed;
  const role = `r_${Math.random().toString(36).slice(2, 10)}`;

  before(async () => {
    bed = await SourceTestBed.open('it_src_fault');
    await bed.sql(`CREATE TABLE ${bed.table('t')} (id int PRIMARY KEY, v int NOT NULL)`);
    await bed.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' NOSUPERUSER NOREPLICATION`);
    await bed.sql(`GRANT USAGE ON SCHEMA ${bed.name} TO ${role}`);
    await bed.sql(`GRANT SELECT ON ALL TABLES IN SCHEMA ${bed.name} TO ${role}`);
  });

  after(async () => {
    await bed?.cleanup();
    const pg = await import('pg');
    const admin = new pg.Client({ host: '127.0.0.1', port: 5433, user: 'postgres', password: 'postgres' });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
  });

  async function expectFailed(app: SourceApp, pattern: RegExp): Promise<void> {
    const failed = await bed.waitForStatus(app.url, (s) => s.phase === 'failed', 30_000);
    assert.equal(failed.lastError?.retriable, false);
    assert.match(failed.lastError!.message, pattern);
    // No crash loop: a moment later it is still failed, the same error, the API answering.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await getStatus(app.url);
    assert.equal(later.phase, 'failed');
    assert.equal(later.lastError?.at, failed.lastError!.at);
    // The live probe reports the failure (docs/source-postgres.md: live unless failed for good).
    assert.equal((await fetch(`${app.url}/health/live`)).status, 503);
    await bed.stopApp(app);
  }

  it('a wrong password fails with the reason, the process staying up', async () => {
    const app = await bed.startApp({ postgres: { ...bed.config().postgres, password: 'wrong' } });
    await expectFailed(app, /password authentication failed/);
  });

  it('a missing database fails naming it', async () => {
    const app = await bed.startApp({ postgres: { ...bed.config().postgres, database: 'no_such_db_x' } });
    await expectFailed(app, /no_such_db_x/);
  });

  it('a role without REPLICATION fails saying so', async () => {
    const app = await bed.startApp({
      postgres: { ...bed.config().postgres, user: role, password: 'pw' },
      publication: { name: bed.name, autocreate: 'disabled' },
    });
    await expectFailed(app, /REPLICATION/i);
  });

  it('an unreachable registry is retried with backoff, and the source recovers when it answers', async () => {
    const port = await freePort();
    const app = await bed.startApp({ registry: { url: `http://127.0.0.1:${port}`, retries: 0 } });
    const retrying = await bed.waitForStatus(app.url, (s) => s.phase === 'retrying', 60_000);
    assert.ok(retrying.retryAt, 'retryAt is set');
    assert.ok(Date.parse(retrying.retryAt) > Date.parse(retrying.lastError!.at));
    assert.equal(retrying.lastError?.retriable, true);
    assert.equal((await fetch(`${app.url}/health/live`)).status, 200, 'live while retrying');
    assert.equal((await fetch(`${app.url}/health/ready`)).status, 503, 'not ready while retrying');
    // The registry comes back at that address: a TCP relay to the stack's registry.
    const registry = new URL(stackAddresses().registryUrl);
    const relay = await tcpRelay(port, registry.hostname, Number(registry.port));
    try {
      const recovered = await bed.waitForStatus(app.url, (s) => s.phase === 'streaming', 60_000);
      assert.equal(recovered.lastError, undefined);
      await bed.stopApp(app);
    } finally {
      relay.close();
    }
  });

  it('an unreachable Kafka is retried with backoff, and nothing is lost when it answers', async () => {
    await bed.sql(`CREATE TABLE ${bed.table('k')} (id int PRIMARY KEY, v int NOT NULL)`);
    const port = await freePort();
    const app = await bed.startApp({
      kafka: { ...bed.config().kafka, brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 1000 },
    });
    const retrying = await bed.waitForStatus(app.url, (s) => s.phase === 'retrying', 90_000);
    assert.equal(retrying.lastError?.retriable, true);
    assert.match(retrying.lastError!.message, new RegExp(`127\\.0\\.0\\.1:${port}|Kafka|broker`, 'i'));
    // Writes made while Kafka is away wait in the slot.
    await bed.sql(`INSERT INTO ${bed.table('k')} SELECT g, g FROM generate_series(1, 200) g`);
    // Kafka comes back at that address: a TCP relay to the stack's broker (the bootstrap address;
    // the broker then advertises its own).
    const [host, brokerPort] = stackAddresses().kafkaBrokers[0].split(':');
    const relay = await tcpRelay(port, host!, Number(brokerPort));
    try {
      await bed.waitForStatus(app.url, (s) => s.phase === 'streaming', 90_000);
      const reader = await bed.consume([bed.topic('k')]);
      await reader.until((records) => new Set(records.map((r) => r.key!.id)).size === 200, 60_000);
      await bed.stopApp(app);
    } finally {
      relay.close();
    }
  });

  it('a terminated walsender is reconnected and nothing is lost', async () => {
    const app = await bed.startApp();
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    const writer = await bed.client();
    const ROWS = 3000;
    let terminations = 0;
    for (let i = 1; i <= ROWS; i++) {
      await writer.query(`INSERT INTO ${bed.table('t')} VALUES ($1, $1)`, [i]);
      if (i % 1000 === 500) {
        // The source reconnects with backoff: wait for its walsender before terminating it again.
        const pid = await bed.waitFor(
          async () =>
            (
              await bed.sql<{ pid: number | null }>(
                'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
                [bed.slot],
              )
            )[0]?.pid ?? undefined,
          30_000,
          'an active walsender on the slot',
        );
        await bed.sql('SELECT pg_terminate_backend($1)', [pid]);
        terminations++;
      }
    }
    await writer.end();
    assert.equal(terminations, 3, 'walsenders terminated');
    const reader = await bed.consume([bed.topic('t')]);
    await reader.until((records) => new Set(records.map((r) => r.key!.id)).size === ROWS, 90_000);
    const ids = new Set(reader.records.map((r) => r.key!.id as number));
    for (let i = 1; i <= ROWS; i++) assert.ok(ids.has(i), `insert ${i} arrived`);
    const status = await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    assert.ok(status.eventsPublished >= ROWS);
    await bed.stopApp(app);
  });
});
