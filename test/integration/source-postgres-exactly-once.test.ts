// source-postgres exactly once into Kafka (#26), end to end on a private broker: the source runs as
// a child process and is killed with SIGKILL 10 times, and the broker stopped and started 3 times,
// while a writer commits 50,000 single-statement changes. Read committed, every change is in the
// topic exactly once (counted per source.lsn and key: no duplicate at all, not even an exact
// replay), each key's states in commit order, the last state the table's. Each kill lands while a
// backlog drains (the source paused for a moment, then resumed), so batches are in flight and
// commits are under way — the same suite at at-least-once sees duplicates. Then: a second instance
// of the same source fences the first, which stops with a clear error and stays stopped (no
// ping-pong); and `delivery.guarantee: at-least-once` still delivers everything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka } from 'kafkajs';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { type LocalStack } from '@sluice/stack';
import { readCommitted, stackAddresses } from '@sluice/test-support';
import { privateKafka } from './observability/observability-harness';
import { type Envelope, freePort, getStatus, post, SourceTestBed } from './source-postgres-harness';

const SEED = 1000;
const CHANGES = 50_000;
const SOURCE_KILLS = 10;
const BROKER_KILLS = 3;

type State = number | 'deleted';

interface Decoded {
  partition: number;
  offset: bigint;
  key: Record<string, unknown>;
  value: Envelope | null;
}

/** Every committed record of `topic`, decoded, per partition in offset order. */
async function readDecoded(kafka: Kafka, topic: string): Promise<Decoded[]> {
  const decoder = new RecordDecoder(new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }));
  const out: Decoded[] = [];
  for (const [partition, records] of await readCommitted(kafka, topic))
    for (const r of records)
      out.push({
        partition,
        offset: r.offset,
        key: structuredClone((await decoder.decode(r.key!)).value) as Record<string, unknown>,
        value: r.value ? (structuredClone((await decoder.decode(r.value)).value) as Envelope) : null,
      });
  return out;
}

/**
 * A writer of single-statement transactions on `<table>(id, v)`: inserts, updates (v + 1) and
 * deletes at random; `expected` holds each key's committed states in commit order.
 */
class Writer {
  readonly expected = new Map<number, State[]>();
  done = 0;
  private readonly live: number[] = [];
  private next: number;

  constructor(
    private readonly bed: SourceTestBed,
    private readonly table: string,
    seed: number,
  ) {
    for (let id = 1; id <= seed; id++) {
      this.expected.set(id, [0]);
      this.live.push(id);
    }
    this.next = seed + 1;
  }

  async write(changes: number): Promise<void> {
    const client = await this.bed.client();
    const table = this.bed.table(this.table);
    try {
      for (const end = this.done + changes; this.done < end; this.done++) {
        const dice = Math.random();
        if (dice < 0.2 || this.live.length < 100) {
          const id = this.next++;
          await client.query(`INSERT INTO ${table} VALUES ($1, 0)`, [id]);
          this.expected.set(id, [0]);
          this.live.push(id);
        } else if (dice < 0.27) {
          const id = this.live.splice(Math.floor(Math.random() * this.live.length), 1)[0]!;
          await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
          this.expected.get(id)!.push('deleted');
        } else {
          const id = this.live[Math.floor(Math.random() * this.live.length)]!;
          const [row] = (
            await client.query<{ v: number }>(`UPDATE ${table} SET v = v + 1 WHERE id = $1 RETURNING v`, [id])
          ).rows;
          this.expected.get(id)!.push(row!.v);
        }
      }
    } finally {
      await client.end();
    }
  }

  /** Deletes expected per key (each has one tombstone after it). */
  deletes(id: number): number {
    return this.expected.get(id)!.filter((s) => s === 'deleted').length;
  }
}

function stateOf(value: Envelope): State {
  return value.op === 'd' ? 'deleted' : (value.after!.v as number);
}

/** Waits until the committed topic's last state per key is the writer's, then returns the records. */
async function untilCaughtUp(bed: SourceTestBed, kafka: Kafka, topic: string, writer: Writer) {
  let records: Decoded[] = [];
  await bed.waitFor(
    async () => {
      records = await readDecoded(kafka, topic);
      const last = new Map<number, State>();
      for (const r of records) if (r.value !== null) last.set(r.key.id as number, stateOf(r.value));
      return [...writer.expected].every(([id, states]) => last.get(id) === states.at(-1)) || undefined;
    },
    120_000,
    'the topic ends at the states written',
  );
  return records;
}

/**
 * Each change exactly once (per source.lsn and key), each key's states in commit order, one
 * tombstone per delete, the last state the table's. Returns the number of change events.
 */
async function assertExactlyOnce(bed: SourceTestBed, records: Decoded[], writer: Writer): Promise<number> {
  const counts = new Map<string, number>();
  const arrived = new Map<number, State[]>();
  const tombstones = new Map<number, number>();
  for (const r of records.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))) {
    const id = r.key.id as number;
    if (r.value === null) {
      tombstones.set(id, (tombstones.get(id) ?? 0) + 1);
      continue;
    }
    const at = `${r.value.source.lsn}|${id}`;
    counts.set(at, (counts.get(at) ?? 0) + 1);
    if (!arrived.has(id)) arrived.set(id, []);
    arrived.get(id)!.push(stateOf(r.value));
  }
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(
    twice.slice(0, 10),
    [],
    `${twice.length} changes published more than once (lsn|key, count)`,
  );
  for (const [id, states] of writer.expected) {
    assert.deepEqual(arrived.get(id), states, `key ${id}: every committed state once, in commit order`);
    assert.equal(tombstones.get(id) ?? 0, writer.deletes(id), `key ${id}: one tombstone per delete`);
  }
  const table = await bed.sql<{ id: number; v: number }>(`SELECT id, v FROM ${bed.table('ledger')}`);
  for (const { id, v } of table) assert.equal(arrived.get(id)!.at(-1), v, `key ${id}: final state`);
  return counts.size;
}

describe('source-postgres exactly once: kill -9 of the source and of the broker while changes stream', () => {
  let bed: SourceTestBed;
  let broker: LocalStack | undefined;
  let brokers: string[];

  before(async () => {
    ({ stack: broker, brokers } = await privateKafka());
    bed = await SourceTestBed.open('it_src_eos', brokers);
    await bed.sql(`CREATE TABLE ${bed.table('ledger')} (id int PRIMARY KEY, v int NOT NULL)`);
    await bed.sql(`INSERT INTO ${bed.table('ledger')} SELECT g, 0 FROM generate_series(1, ${SEED}) g`);
  });

  after(async () => {
    await bed?.cleanup();
    await broker?.down(['kafka'], { purge: true });
  });

  it(
    `publishes each of ${CHANGES} changes once across ${SOURCE_KILLS} source kills and ${BROKER_KILLS} broker restarts`,
    { timeout: 300_000 },
    async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const file = bed.configFile(
        bed.config({
          http: { host: '127.0.0.1', port },
          // A broker that went away: give up a send after 5 s and start again, not after 30.
          publishing: { sendTimeoutMs: 5000 },
          logging: { level: 'info' },
        }),
      );
      let running = bed.spawnMain(file);
      const processes = [running];
      await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);

      const writer = new Writer(bed, 'ledger', SEED);
      const writing = writer.write(CHANGES);
      const steps = SOURCE_KILLS + BROKER_KILLS;
      const brokerSteps = new Set([3, 7, 11]);
      let restarts = 0;
      for (let step = 1; step <= steps; step++) {
        const target = (CHANGES * step) / (steps + 1);
        await bed.waitFor(
          async () => writer.done >= target || undefined,
          120_000,
          `${target} changes written`,
        );
        // A backlog: paused for a second, then resumed; the kill lands while it drains.
        assert.equal((await post(`${url}/pause`)).status < 300, true);
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal((await post(`${url}/resume`)).status < 300, true);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
        if (brokerSteps.has(step)) {
          await broker!.down(['kafka']);
          await new Promise((r) => setTimeout(r, 2000));
          assert.equal((await broker!.up(['kafka'])).kafka, 'started');
        } else {
          await bed.kill(running.child, 'SIGKILL');
          running = bed.spawnMain(file);
          processes.push(running);
        }
        await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
        restarts++;
      }
      await writing;
      assert.equal(restarts, steps);

      const records = await untilCaughtUp(bed, bed.kafka, bed.topic('ledger'), writer);
      const changes = await assertExactlyOnce(bed, records, writer);
      // Starts that found transactions of the slot's replay already in Kafka (and dropped them).
      const dropping = processes
        .map((p) => p.output().split('dropping replayed transactions already committed').length - 1)
        .reduce((a, b) => a + b, 0);
      console.log(
        `exactly-once suite: ${changes} change events (${SEED} snapshot rows + ${CHANGES} changes), ` +
          `${SOURCE_KILLS} source kills, ${BROKER_KILLS} broker restarts, no duplicate; ` +
          `${dropping} starts dropped replayed transactions already in Kafka`,
      );
      assert.equal(changes, SEED + CHANGES);
      const status = await getStatus(url);
      assert.equal(status.phase, 'streaming', running.output());
      await bed.kill(running.child, 'SIGTERM');
    },
  );
});

describe('source-postgres exactly once: a second instance of the same source', () => {
  let bed: SourceTestBed;

  before(async () => {
    bed = await SourceTestBed.open('it_src_eos_fence');
    await bed.sql(`CREATE TABLE ${bed.table('ledger')} (id int PRIMARY KEY, v int NOT NULL)`);
    await bed.sql(`INSERT INTO ${bed.table('ledger')} SELECT g, 0 FROM generate_series(1, 100) g`);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('waits while the first streams; taking over from a frozen first, fences it; no ping-pong', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const [urlA, urlB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
    const config = bed.config({ logging: { level: 'warn' } });
    const first = bed.spawnMain(bed.configFile({ ...config, http: { host: '127.0.0.1', port: portA } }));
    await bed.waitForStatus(urlA, (s) => s.phase === 'streaming', 90_000);
    const writer = new Writer(bed, 'ledger', 100);
    await writer.write(300);

    // Started beside a live first, the second waits: the slot is in use (Postgres lets one
    // connection stream from it), so it never reaches Kafka and the first is undisturbed.
    const second = bed.spawnMain(bed.configFile({ ...config, http: { host: '127.0.0.1', port: portB } }));
    const waiting = await bed.waitForStatus(urlB, (s) => s.phase === 'retrying', 60_000);
    assert.match(waiting.lastError!.message, /is active for process \d+: another connection streams from it/);
    await writer.write(300);
    assert.equal((await getStatus(urlA)).phase, 'streaming');
    assert.equal((await getStatus(urlB)).eventsPublished, 0);

    // A zombie: the first frozen mid-load (its Kafka transaction open) and its replication
    // connection ended; the second takes the slot and, connecting its transactional producer,
    // fences the first's and aborts its open transaction.
    let writing = true;
    const load = (async () => {
      while (writing) await writer.write(10);
    })();
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGSTOP');
    const [slot] = await bed.sql<{ active_pid: number }>(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
      [bed.slot],
    );
    await bed.sql('SELECT pg_terminate_backend($1)', [slot!.active_pid]);
    await bed.waitForStatus(urlB, (s) => s.phase === 'streaming', 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    first.child.kill('SIGCONT');
    // Thawed, the first either meets the fencing at its next Kafka request (it stops for good) or
    // meets its closed replication connection first, restarts and finds the slot in use (a standby).
    const settled = await bed.waitForStatus(
      urlA,
      (s) =>
        s.phase === 'failed' ||
        (s.phase === 'retrying' && /is active for process/.test(s.lastError!.message)),
      60_000,
    );
    writing = false;
    await load;
    if (settled.phase === 'failed') {
      const transactionalId = `sluice-source-postgres.${bed.name}.${bed.slot}`;
      assert.equal(settled.lastError?.retriable, false);
      assert.match(settled.lastError!.message, /took over its transactional id/);
      assert.ok(settled.lastError!.message.includes(transactionalId), settled.lastError!.message);
    }
    console.log(`fenced first: ${settled.phase} (${settled.lastError?.message.slice(0, 160)})`);

    // No ping-pong: the second keeps streaming without error while changes arrive.
    await writer.write(300);
    for (let i = 0; i < 6; i++) {
      const [a, b] = [await getStatus(urlA), await getStatus(urlB)];
      assert.notEqual(a.phase, 'streaming', 'the first never streams again beside the second');
      assert.equal(b.phase, 'streaming', second.output().slice(-3000));
      assert.equal(b.lastError, undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(first.child.exitCode, null, 'the first stays up to report why');

    const records = await untilCaughtUp(bed, bed.kafka, bed.topic('ledger'), writer);
    assert.equal(await assertExactlyOnce(bed, records, writer), 100 + writer.done);
    await bed.kill(second.child, 'SIGTERM');
    await bed.kill(first.child, 'SIGTERM');
  });
});

describe('source-postgres exactly once: a slot behind the committed offset', () => {
  let bed: SourceTestBed;
  const backup = () => `${bed.slot}_behind`;

  before(async () => {
    bed = await SourceTestBed.open('it_src_eos_behind');
    bed.trackSlot(`${bed.slot}_behind`);
    await bed.sql(`CREATE TABLE ${bed.table('ledger')} (id int PRIMARY KEY, v int NOT NULL)`);
    await bed.sql(`INSERT INTO ${bed.table('ledger')} SELECT g, 0 FROM generate_series(1, 100) g`);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('drops the replayed transactions Kafka already holds (the crash between commit and slot confirm)', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const file = bed.configFile(
      bed.config({ http: { host: '127.0.0.1', port }, logging: { level: 'info' } }),
    );
    const slotPid = async () =>
      (
        await bed.sql<{ active_pid: number | null }>(
          'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
          [bed.slot],
        )
      )[0]?.active_pid;
    let running = bed.spawnMain(file);
    await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
    await bed.kill(running.child, 'SIGKILL');
    await bed.waitFor(async () => (await slotPid()) === null || undefined, 15_000, 'the slot released');
    // The slot as it is now, before the changes below: what a crash after the Kafka commit and
    // before the slot's confirmation leaves behind.
    await bed.sql('SELECT pg_copy_logical_replication_slot($1, $2)', [bed.slot, backup()]);

    const writer = new Writer(bed, 'ledger', 100);
    running = bed.spawnMain(file);
    await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
    await writer.write(300);
    await untilCaughtUp(bed, bed.kafka, bed.topic('ledger'), writer);
    await bed.kill(running.child, 'SIGTERM');
    await bed.waitFor(async () => (await slotPid()) === null || undefined, 15_000, 'the slot released');
    await bed.sql('SELECT pg_drop_replication_slot($1)', [bed.slot]);
    await bed.sql('SELECT pg_copy_logical_replication_slot($1, $2)', [backup(), bed.slot]);

    running = bed.spawnMain(file);
    await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
    await writer.write(100);
    const records = await untilCaughtUp(bed, bed.kafka, bed.topic('ledger'), writer);
    assert.equal(await assertExactlyOnce(bed, records, writer), 100 + 400);
    assert.match(running.output(), /dropping replayed transactions already committed to Kafka/);
    await bed.kill(running.child, 'SIGTERM');
  });

  it('a position in the offsets topic that is not an LSN stops the source, naming the topic and the way out', async () => {
    // Written by something else than a source: the key is this source's, the value is not a position.
    const producer = bed.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: `${bed.name}.offsets`,
      messages: [
        {
          key: JSON.stringify(['source-postgres', bed.name, bed.slot]),
          value: JSON.stringify({ lsn: 'bogus' }),
        },
      ],
    });
    await producer.disconnect();
    const app = await bed.startApp({});
    const failed = await bed.waitForStatus(app.url, (s) => s.phase === 'failed', 60_000);
    assert.match(
      JSON.stringify(failed.lastError),
      new RegExp(`the offsets topic ${bed.name}\\.offsets holds .*bogus.* not a Postgres LSN.*tombstone`),
    );
    await bed.stopApp(app);
  });
});

describe('source-postgres delivery.guarantee: at-least-once', () => {
  let bed: SourceTestBed;

  before(async () => {
    bed = await SourceTestBed.open('it_src_alo');
    await bed.sql(`CREATE TABLE ${bed.table('ledger')} (id int PRIMARY KEY, v int NOT NULL)`);
    await bed.sql(`INSERT INTO ${bed.table('ledger')} SELECT g, 0 FROM generate_series(1, 100) g`);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('streams without transactions or an offsets topic', async () => {
    const app = await bed.startApp({ delivery: { guarantee: 'at-least-once' } });
    const writer = new Writer(bed, 'ledger', 100);
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming', 90_000);
    await writer.write(1000);
    const records = await untilCaughtUp(bed, bed.kafka, bed.topic('ledger'), writer);
    assert.equal(await assertExactlyOnce(bed, records, writer), 1100);
    const admin = bed.kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    assert.ok(!topics.includes(`${bed.name}.offsets`), 'no offsets topic at least once');
    await bed.stopApp(app);
  });
});
