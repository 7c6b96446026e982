// A pipeline installed in one step (as a Helm release is): the transformer and sink-postgres start
// before the source has created any topic. They wait (phase retrying, the missing topic named in
// /status), stay up and live, and begin when the source's topic appears; then every change arrives:
// the replica equals the source and the transformer's exactly-once output holds one record per change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { freePort, readCommitted, stackAddresses } from '@sluice/test-support';
import { SinkTestBed, type SpawnedApp } from './sink-postgres/sink-postgres-harness';
import { appConfig, startTransformer } from './transformer/transformer-harness';

interface WaitingStatus {
  readonly phase: string;
  readonly lastError?: string;
}

async function status(url: string): Promise<WaitingStatus | undefined> {
  return fetch(`${url}/status`)
    .then((r) => r.json() as Promise<WaitingStatus>)
    .catch(() => undefined);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('consumers started before the source', { timeout: 300_000 }, () => {
  let bed: SinkTestBed;
  let transformer: ChildProcess | undefined;
  let sink: SpawnedApp;
  let transformerUrl: string;
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stackAddresses().kafkaBrokers,
      clientId: 'it-before',
      logLevel: 'nothing',
    }),
  );

  before(async () => {
    bed = await SinkTestBed.open('it_before_src');
    await bed.source.sql(`CREATE TABLE ${bed.source.table('items')} (id int PRIMARY KEY, v text NOT NULL)`);
    // A delete's `before` must hold the whole row for unwrap's rewrite of deletes.
    await bed.source.sql(`ALTER TABLE ${bed.source.table('items')} REPLICA IDENTITY FULL`);
  });

  after(async () => {
    transformer?.kill('SIGKILL');
    await bed?.cleanup();
  });

  it('wait for the source topic naming it, then deliver every change once', async () => {
    const input = bed.source.topic('items');
    const output = `${bed.name}.items.flat`;
    const dir = mkdtempSync(join(tmpdir(), 'sluice-before-'));
    const pipeline = join(dir, 'pipeline.yaml');
    writeFileSync(
      pipeline,
      [
        `name: ${bed.name.replace(/_/g, '-')}-flat`,
        `from: { topics: [${input}] }`,
        `to: ${output}`,
        `groupId: ${bed.name}.transformer`,
        'mode: exactly-once',
        'steps:',
        '  - unwrap: { deletes: rewrite, addFields: [op] }',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    transformerUrl = `http://127.0.0.1:${port}`;
    transformer = startTransformer(appConfig(pipeline, { http: { host: '127.0.0.1', port } }));
    sink = await bed.spawnSink();

    for (const [app, url] of [
      ['transformer', transformerUrl],
      ['sink-postgres', sink.url],
    ] as const) {
      const waiting = await until(`${app} waiting for ${input}`, 60_000, async () => {
        if (transformer!.exitCode !== null || sink.child.exitCode !== null)
          throw new Error(`an app exited instead of waiting: ${sink.output().slice(-1000)}`);
        const s = await status(url);
        return s?.phase === 'retrying' && s.lastError?.includes(input) ? s : undefined;
      });
      assert.match(String(waiting.lastError), /do not exist/, app);
      assert.equal((await fetch(`${url}/health/live`)).status, 200, `${app} is live while it waits`);
      assert.equal((await fetch(`${url}/health/ready`)).status, 503, `${app} is not ready while it waits`);
    }
    assert.equal(transformer.exitCode, null, 'the transformer did not exit');
    assert.equal(sink.child.exitCode, null, 'the sink did not exit');

    // Now the source: 200 rows before it starts (its snapshot), then 100 updates and 50 deletes.
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT n, 'v' || n FROM generate_series(1, 200) n`,
    );
    await bed.spawnSource();
    await bed.waitForTopics([input]);
    await bed.source.sql(`UPDATE ${bed.source.table('items')} SET v = v || 'u' WHERE id <= 100`);
    await bed.source.sql(`DELETE FROM ${bed.source.table('items')} WHERE id > 150`);

    for (const url of [transformerUrl, sink.url])
      await until('running', 90_000, async () =>
        (await status(url))?.phase === 'running' ? true : undefined,
      );
    const rows = await until('the replica to equal the source', 120_000, async () => {
      const source = await bed.source.sql<{ id: number; v: string }>(
        `SELECT id, v FROM ${bed.source.table('items')} ORDER BY id`,
      );
      const replica = await bed
        .sinkSql<{ id: number; v: string }>(`SELECT id, v FROM ${bed.name}.items ORDER BY id`)
        .catch(() => []);
      return JSON.stringify(source) === JSON.stringify(replica) ? source.length : undefined;
    });
    assert.equal(rows, 150);

    // 200 reads + 100 updates + 50 deletes (rewritten as rows; tombstones dropped): 350 outputs.
    const expected = 350;
    let seen = 'nothing read yet';
    const outputs = await until(`${expected} transformer outputs`, 120_000, async () => {
      const records = await readCommitted(kafka, output)
        .then((read) => [...read.values()].flat())
        .catch((error: Error) => {
          seen = error.message; // the output topic is created with the first output
          return [];
        });
      if (records.length > 0) seen = `${records.length} outputs`;
      return records.length >= expected ? records : undefined;
    }).catch(async (error: Error) => {
      throw new Error(
        `${error.message} (${seen}; transformer ${JSON.stringify(await status(transformerUrl))})`,
      );
    });
    // Read to the end offsets (read committed): a duplicate would make it 351.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const all = [...(await readCommitted(kafka, output)).values()].flat();
    assert.equal(all.length, expected, `exactly one output per change (first read ${outputs.length})`);
  });
});
