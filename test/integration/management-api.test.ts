// The management API on a running sink-http (its own process, the token from ${SLUICE_MANAGEMENT_TOKEN}):
// connectors listed, POSTs refused without the right bearer token, pause stops the flow while the
// member stays in its group, resume and restart go on without loss, offsets match what Kafka says,
// unknown names are 404, /docs serves the OpenAPI document. And without a token: loopback only,
// said at start-up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@sluice/test-support';
import {
  appConfig,
  events,
  freePort,
  SINK_HTTP_MAIN,
  SinkHttpHarness,
  status,
  TestReceiver,
  until,
} from './sink-http/sink-http-harness';

const TOKEN = 'it-management-token-0123456789';

async function call(
  method: 'GET' | 'POST',
  url: string,
  authorization?: string,
): Promise<{ status: number; body: Record<string, unknown> & { message?: string } }> {
  const response = await fetch(url, {
    method,
    headers: authorization === undefined ? {} : { authorization },
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('management API on sink-http', () => {
  const harness = new SinkHttpHarness();
  const receiver = new TestReceiver();
  let topic: string;
  let group: string;
  let port: number;
  let base: string;
  let sent = 0;
  const bearer = `Bearer ${TOKEN}`;

  // Many keys, so that both partitions get records whatever the key schema's registry id (it is in
  // the key bytes the partitioner hashes): with 7 keys, one id in 64 put them all on one partition.
  const produce = async (count: number) => {
    const list = events(sent + count, 64).slice(sent);
    sent += count;
    await harness.produce(topic, list);
  };
  const delivered = () => receiver.accepted.size;

  before(async () => {
    await harness.start();
    await receiver.listen();
    topic = await harness.topic('it.mgmt', 2);
    group = uniqueName('it.mgmt.sink');
    harness.trackGroup(group);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = appConfig({ group, topic, url: receiver.url, port });
    harness.startApp(
      { ...config, http: { host: '127.0.0.1', port, token: '${SLUICE_MANAGEMENT_TOKEN}' } },
      { SLUICE_MANAGEMENT_TOKEN: TOKEN },
    );
    await until(async () => (await status(port))?.phase === 'running', 60_000, 'sink-http running');
    await produce(30);
    await until(() => delivered() === 30, 60_000, '30 records delivered');
  });

  after(async () => {
    await harness.close();
    await receiver.close();
  });

  it('GET /connectors lists the sink, named after its group', async () => {
    const answer = await fetch(`${base}/connectors`).then((r) => r.json());
    assert.deepEqual(answer, [{ name: group, type: 'sink', state: 'RUNNING' }]);
    const detail = await call('GET', `${base}/connectors/${group}/status`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.state, 'RUNNING');
    assert.equal(detail.body.type, 'sink');
    assert.equal(typeof detail.body.workerId, 'string');
    assert.equal((detail.body.partitions as unknown[]).length, 2);
  });

  it('POST without the token, with a wrong one or another scheme is 401 with a JSON error', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token',
      'Bearer',
      `Basic ${btoa(`x:${TOKEN}`)}`,
      TOKEN,
    ]) {
      const answer = await call('POST', `${base}/connectors/${group}/pause`, authorization);
      assert.equal(answer.status, 401, `${authorization}`);
      assert.equal(answer.body.statusCode, 401);
      assert.match(String(answer.body.message), /bearer token/i);
    }
    assert.equal((await status(port))?.paused, false);
    // The app's other mutating routes are guarded too; reads stay open.
    assert.equal((await call('GET', `${base}/health/live`)).status, 200);
  });

  it('pause stops the flow while the member stays in its group; resume delivers what came meanwhile', async () => {
    const paused = await call('POST', `${base}/connectors/${group}/pause`, bearer);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.state, 'PAUSED');
    await produce(20);
    // Long enough for several fetch cycles and heartbeats (1 s), shorter than the session timeout.
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(delivered(), 30, 'no record delivered while paused');
    const during = await status(port);
    assert.equal(during?.membership, 'member');
    assert.equal(during?.partitions.length, 2);
    // Offsets while paused: what the group committed is what Kafka has.
    const offsets = await call('GET', `${base}/connectors/${group}/offsets`);
    const committed = await harness.admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of committed[0]!.partitions) {
      const mine = (offsets.body.partitions as Array<Record<string, string | number>>).find(
        (o) => o.partition === p.partition,
      );
      assert.equal(mine?.committedOffset, p.offset, `partition ${p.partition}`);
    }
    const resumed = await call('POST', `${base}/connectors/${group}/resume`, bearer);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.state, 'RUNNING');
    await until(() => delivered() === 50, 60_000, '50 records delivered after resume');
  });

  it('restart drains, rejoins and goes on without loss; a second restart meanwhile is 409', async () => {
    const first = call('POST', `${base}/connectors/${group}/restart`, bearer);
    await until(
      async () => (await call('GET', `${base}/connectors/${group}/status`)).body.state === 'STARTING',
      10_000,
      'state STARTING during the restart',
    );
    const second = await call('POST', `${base}/connectors/${group}/restart`, bearer);
    assert.equal(second.status, 409);
    assert.match(String(second.body.message), new RegExp(`${group} is STARTING`));
    const restarted = await first;
    assert.equal(restarted.status, 200);
    assert.equal(restarted.body.state, 'RUNNING');
    await produce(20);
    await until(() => delivered() === 70, 60_000, '70 records delivered after restart');
    assert.equal(receiver.orderViolations(), 0);
  });

  it('GET offsets shows committed, end offset and lag per partition as Kafka has them', async () => {
    const ends = await harness.admin.fetchTopicOffsets(topic);
    let offsets: Array<{ partition: number; committedOffset?: string; endOffset?: string; lag?: string }> =
      [];
    // The last commit follows the last delivery closely.
    await until(
      async () => {
        offsets = (await call('GET', `${base}/connectors/${group}/offsets`)).body
          .partitions as typeof offsets;
        return offsets.length === 2 && offsets.every((o) => o.lag === '0');
      },
      30_000,
      'lag 0 on both partitions',
    );
    const committed = (await harness.admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
    for (const end of ends) {
      const mine = offsets.find((o) => o.partition === end.partition)!;
      assert.equal(mine.endOffset, end.high, `end offset of partition ${end.partition}`);
      assert.equal(mine.committedOffset, committed.find((c) => c.partition === end.partition)!.offset);
      assert.equal(mine.committedOffset, end.high);
    }
  });

  it('an unknown connector is 404 with a JSON error naming it, for reads and actions', async () => {
    for (const [method, path] of [
      ['GET', 'status'],
      ['GET', 'offsets'],
      ['POST', 'pause'],
      ['POST', 'restart'],
    ] as const) {
      const answer = await call(method, `${base}/connectors/no-such-connector/${path}`, bearer);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.match(String(answer.body.message), /no-such-connector/);
    }
  });

  it('/docs serves the UI and /docs-json the OpenAPI document with the management paths', async () => {
    const page = await fetch(`${base}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal((await fetch(`${base}/docs/swagger-ui-bundle.js`)).status, 200);
    const doc = (await fetch(`${base}/docs-json`).then((r) => r.json())) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/connectors',
      '/connectors/{name}/status',
      '/connectors/{name}/offsets',
      '/connectors/{name}/pause',
      '/connectors/{name}/resume',
      '/connectors/{name}/restart',
    ])
      assert.ok(doc.paths[path], `${path} in the document`);
    assert.deepEqual(Object.keys(doc.paths['/connectors/{name}/pause']!.post!.responses).sort(), [
      '200',
      '401',
      '404',
      '409',
    ]);
  });
});

describe('management API without a token', () => {
  it('binds to 127.0.0.1 only although 0.0.0.0 was asked for, and says so at start-up', async () => {
    const harness = new SinkHttpHarness();
    await harness.start();
    const receiver = new TestReceiver();
    await receiver.listen();
    try {
      const topic = await harness.topic('it.mgmt.open', 1);
      const group = uniqueName('it.mgmt.open');
      harness.trackGroup(group);
      const port = await freePort();
      const config = { ...appConfig({ group, topic, url: receiver.url, port }), logging: { level: 'info' } };
      const file = join(mkdtempSync(join(tmpdir(), 'sluice-mgmt-')), 'sink-http.yaml');
      writeFileSync(file, JSON.stringify({ ...config, http: { host: '0.0.0.0', port } }));
      const child = spawn(process.execPath, [SINK_HTTP_MAIN], {
        env: { ...process.env, SLUICE_CONFIG: file },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      try {
        await until(async () => (await status(port))?.phase === 'running', 60_000, 'sink-http running');
        const line = output.split('\n').find((l) => l.includes('management API unauthenticated'));
        assert.ok(line, `start-up warning in: ${output}`);
        assert.match(line, /bound to loopback 127\.0\.0\.1 only, not the requested 0\.0\.0\.0/);
        // Unauthenticated POSTs work on loopback.
        assert.equal((await call('POST', `http://127.0.0.1:${port}/connectors/${group}/pause`)).status, 200);
        const external = Object.values(networkInterfaces())
          .flat()
          .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
        if (external !== undefined) {
          const reached = await new Promise<boolean>((resolve) => {
            const socket = connect({ host: external, port });
            socket.once('connect', () => {
              socket.destroy();
              resolve(true);
            });
            socket.once('error', () => resolve(false));
          });
          assert.equal(reached, false, `${external}:${port} must not answer`);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    } finally {
      await harness.close();
      await receiver.close();
    }
  });
});
