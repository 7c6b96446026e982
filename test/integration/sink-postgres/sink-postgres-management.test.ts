// The management API on a running sink-postgres (its own process, a bearer token in its config):
// the sink listed under its group, POSTs refused without the token, pause holds every change back
// while the source goes on publishing, offsets are the ones the sink keeps in its target database
// (not the group's Kafka commits), resume and restart apply what came meanwhile, replica equal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ITEMS_DDL, ITEMS_VALUES, SinkTestBed, type SpawnedApp } from './sink-postgres-harness';

const TOKEN = 'it-sinkpg-management-token';

interface OffsetsBody {
  partitions: Array<{ topic: string; partition: number; committedOffset?: string; endOffset?: string }>;
}

describe('management API on sink-postgres', { timeout: 300_000 }, () => {
  let bed: SinkTestBed;
  let sink: SpawnedApp;
  let group: string;
  let topic: string;
  let next = 200;

  const call = async (method: 'GET' | 'POST', path: string, token?: string) => {
    const response = await fetch(`${sink.url}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const insert = async (count: number) => {
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series($1::bigint, $2::bigint) n`,
      [next + 1, next + count],
    );
    next += count;
  };
  const replicaRows = async () =>
    Number((await bed.sinkSql<{ n: string }>(`SELECT count(*) AS n FROM ${bed.name}.items`))[0].n);
  /** Per partition, the next offset the sink stored in its target database. */
  const stored = async () =>
    new Map(
      (
        await bed.sinkSql<{ partition: number; next_offset: string }>(
          `SELECT "partition", next_offset FROM ${bed.name}.sluice_sink_offsets WHERE group_id = $1 AND topic = $2`,
          [group, topic],
        )
      ).map((r) => [r.partition, r.next_offset]),
    );
  const endOffsets = async () => {
    const admin = bed.source.kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  };

  before(async () => {
    bed = await SinkTestBed.open('it_sinkpg_mgmt');
    await bed.source.pg.query(ITEMS_DDL(bed.name));
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series(1, 200) n`,
    );
    topic = bed.source.topic('items');
    await bed.spawnSource();
    await bed.waitForTopics([topic]);
    const config = bed.sinkConfig();
    assert.ok(config.group);
    group = config.group;
    sink = await bed.spawnSink({ ...config, http: { token: TOKEN } });
    await bed.untilReplicaEqual();
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('lists the sink under its group, running, with its partitions', async () => {
    const list = await call('GET', '/connectors');
    assert.deepEqual(list.body, [{ name: group, type: 'sink', state: 'RUNNING' }]);
    const status = await call('GET', `/connectors/${group}/status`);
    assert.equal(status.status, 200);
    assert.ok((status.body.partitions as unknown[]).length > 0);
  });

  it('refuses a POST without the token or with a wrong one (401), and changes nothing', async () => {
    for (const token of [undefined, 'wrong']) {
      const answer = await call('POST', `/connectors/${group}/pause`, token);
      assert.equal(answer.status, 401);
      assert.match(String(answer.body.message), /bearer token/i);
    }
    assert.equal((await call('GET', `/connectors/${group}/status`)).body.state, 'RUNNING');
  });

  it("pause holds every change back; offsets are the target database's; resume applies them", async () => {
    const paused = await call('POST', `/connectors/${group}/pause`, TOKEN);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.state, 'PAUSED');
    const before = await replicaRows();
    const published = await endOffsets();
    await insert(100);
    // The source goes on publishing: wait for the events in Kafka, then some fetch cycles more.
    await bed.source.waitFor(
      async () => ((await endOffsets()) >= published + 100 ? true : undefined),
      60_000,
      '100 more events in Kafka',
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(await replicaRows(), before, 'no row written while paused');

    const offsets = (await call('GET', `/connectors/${group}/offsets`)).body as unknown as OffsetsBody;
    const inTarget = await stored();
    assert.ok(inTarget.size > 0);
    for (const [partition, nextOffset] of inTarget) {
      const mine = offsets.partitions.find((p) => p.topic === topic && p.partition === partition);
      assert.equal(mine?.committedOffset, nextOffset, `partition ${partition}: the target's next offset`);
    }

    const resumed = await call('POST', `/connectors/${group}/resume`, TOKEN);
    assert.equal(resumed.body.state, 'RUNNING');
    assert.equal(await bed.untilReplicaEqual(), next);
  });

  it('restart rejoins and applies what comes next; offsets follow the target database', async () => {
    const restarted = await call('POST', `/connectors/${group}/restart`, TOKEN);
    assert.equal(restarted.status, 200);
    assert.equal(restarted.body.state, 'RUNNING');
    await insert(50);
    await bed.source.sql(`UPDATE ${bed.source.table('items')} SET name = name || ' again' WHERE id % 7 = 0`);
    assert.equal(await bed.untilReplicaEqual(), next);
    const ends = await endOffsets();
    let offsets: OffsetsBody = { partitions: [] };
    await bed.source.waitFor(
      async () => {
        offsets = (await call('GET', `/connectors/${group}/offsets`)).body as unknown as OffsetsBody;
        const total = offsets.partitions.reduce((n, p) => n + Number(p.committedOffset ?? 0), 0);
        return total === ends ? true : undefined;
      },
      30_000,
      'offsets at the end of the topic',
    );
    const inTarget = await stored();
    for (const p of offsets.partitions) assert.equal(p.committedOffset, inTarget.get(p.partition));
  });
});
