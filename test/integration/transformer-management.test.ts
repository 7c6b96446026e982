// The management API on a running transformer (exactly-once, its own process, token from
// ${SLUICE_MANAGEMENT_TOKEN}): the pipeline listed as a transform connector, pause holds every
// record back while the member stays in its group, resume and an in-process restart go on with
// each input transformed exactly once, offsets are what the group committed in its transactions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { type Admin } from 'kafkajs';
import { TopicProvisioner } from '@sluice/kafka';
import { deleteTopicsIfPresent, uniqueName } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  createKafkaClient,
  freePort,
  kafkaConfig,
  orderRow,
  readDecoded,
  startTransformer,
  untilLeaders,
  untilReady,
  writePipeline,
} from './transformer/transformer-harness';

const TOKEN = 'it-transformer-management-token';
const bearer = { authorization: `Bearer ${TOKEN}` };

describe('management API on the transformer (exactly-once)', () => {
  const kafka = createKafkaClient(kafkaConfig);
  let admin: Admin;
  let app: ChildProcess | undefined;
  let base = '';
  const name = uniqueName('it-trm')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const input = uniqueName('it.trm.in');
  const t = { eu: uniqueName('it.trm.eu'), na: uniqueName('it.trm.na'), other: uniqueName('it.trm.other') };
  const outputTopics = [t.eu, t.na, t.other];
  const group = uniqueName('it.trm.group');
  const writer = new ChangeEventWriter(kafka, input, 'it.public.orders');
  let written = 0;

  const write = async (count: number) => {
    const rows = Array.from({ length: count }, (_, i) => orderRow(written + i));
    written += count;
    await writer.write(await Promise.all(rows.map((r) => writer.encode(r))));
  };
  /** Offsets the outputs hold (records and transaction markers): nothing moves while paused. */
  const outputEnds = async () => {
    let sum = 0;
    for (const topic of outputTopics)
      for (const p of await admin.fetchTopicOffsets(topic).catch(() => [])) sum += Number(p.high);
    return sum;
  };
  const api = async (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/connectors/${path}`, { method, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: input, partitions: 3, replicationFactor: 1 }]);
    await untilLeaders(admin, input);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = appConfig(writePipeline({ name, input, group, ...t }), {
      http: { host: '127.0.0.1', port, token: TOKEN },
    });
    app = startTransformer(config);
    await untilReady(`${base}/health/ready`);
    await write(60);
    assert.equal((await readDecoded(kafka, outputTopics, 60, uniqueName('it.trm.r1'))).length, 60);
  });

  after(async () => {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((r) => app!.once('exit', r));
    }
    await deleteTopicsIfPresent(admin, [input, ...outputTopics, `${group}.dlq`]);
    await admin.disconnect();
  });

  it('lists the pipeline as a running transform connector', async () => {
    const list = (await fetch(`${base}/connectors`).then((r) => r.json())) as unknown[];
    assert.deepEqual(list, [{ name, type: 'transform', state: 'RUNNING' }]);
    const refused = await api('POST', `${name}/pause`);
    assert.equal(refused.status, 401);
  });

  it('pause holds every record back with the member still in its group; resume transforms them once', async () => {
    const before = await outputEnds();
    const paused = await api('POST', `${name}/pause`, bearer);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.state, 'PAUSED');
    await write(40);
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(await outputEnds(), before, 'no output (no transaction) while paused');
    const [described] = (await admin.describeGroups([group])).groups;
    assert.equal(described?.state, 'Stable');
    assert.equal(described?.members.length, 1);

    // Offsets are the group's, committed with the transactions: the first 60 inputs. The end
    // offsets are read from the brokers while paused (nothing is fetched), so the 40 written
    // since the pause show as lag.
    type Offsets = Array<{ partition: number; committedOffset?: string; endOffset?: string; lag?: string }>;
    const ends = new Map((await admin.fetchTopicOffsets(input)).map((p) => [p.partition, p.high]));
    let offsets: Offsets;
    const deadline = Date.now() + 15_000;
    for (;;) {
      offsets = (await api('GET', `${name}/offsets`)).body.partitions as Offsets;
      if (offsets.every((o) => o.endOffset === ends.get(o.partition)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const committed = (await admin.fetchOffsets({ groupId: group, topics: [input] }))[0]!.partitions;
    assert.equal(offsets.length, 3);
    for (const c of committed) {
      const mine = offsets.find((o) => o.partition === c.partition)!;
      assert.equal(mine.committedOffset, c.offset);
      assert.equal(
        mine.endOffset,
        ends.get(c.partition),
        `partition ${c.partition}: end offset while paused`,
      );
    }
    assert.equal(
      offsets.reduce((sum, o) => sum + Number(o.lag), 0),
      40,
      'the records written while paused are lag',
    );

    const resumed = await api('POST', `${name}/resume`, bearer);
    assert.equal(resumed.body.state, 'RUNNING');
    const seen = await readDecoded(kafka, outputTopics, 100, uniqueName('it.trm.r2'));
    assert.equal(new Set(seen.map((o) => Number(o.value!.id))).size, 100, 'each input once');
  });

  it('restart drains, commits and starts a new runtime; nothing is lost or doubled', async () => {
    const restarted = await api('POST', `${name}/restart`, bearer);
    assert.equal(restarted.status, 200);
    assert.equal(restarted.body.state, 'RUNNING');
    await write(50);
    const seen = await readDecoded(kafka, outputTopics, 150, uniqueName('it.trm.r3'));
    assert.equal(seen.length, 150, 'read committed: exactly the 150 inputs');
    assert.equal(new Set(seen.map((o) => Number(o.value!.id))).size, 150);
  });
});
