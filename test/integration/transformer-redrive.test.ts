// Re-running a fixed pipeline over its dead letters: the transformer (exactly-once, onKeyFailure
// park) runs a pipeline whose validate rule wrongly requires an e-mail, so order 3's first change
// (no e-mail) is dead-lettered and its later changes park behind it. The pipeline is fixed, the app
// restarted on the same group, and `sluice dlq redrive` replays key 3's sequence: its outputs
// follow in the original order, once each, and the key is released (a new change flows directly).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { type CliRun, deleteTopicsIfPresent, jsonOutput, runSluice, uniqueName } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  freePort,
  kafkaConfig,
  type OrderRow,
  readDecoded,
  startTransformer,
  untilLeaders,
  untilReady,
} from './transformer/transformer-harness';

describe('sluice dlq redrive on the transformer (a fixed pipeline)', { timeout: 240_000 }, () => {
  const kafka = createKafkaClient(kafkaConfig);
  let admin: Admin;
  let app: ChildProcess | undefined;
  let url = '';
  const input = uniqueName('it.tr-redrive.in');
  const output = uniqueName('it.tr-redrive.out');
  const group = uniqueName('it.tr-redrive.group');
  const writer = new ChangeEventWriter(kafka, input, 'it.public.orders');
  const row = (id: number, total: number, email: string | null = `user${id}@example.com`): OrderRow => ({
    id,
    email,
    region: 'eu',
    total,
  });
  const write = async (rows: OrderRow[]) =>
    writer.write(await Promise.all(rows.map((r) => writer.encode(r))));

  /** The pipeline file; `strict` adds the rule that refuses a change without an e-mail. */
  const pipeline = (strict: boolean): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-tr-redrive-')), 'pipeline.yaml');
    const lines = [
      `name: it-tr-redrive`,
      `from: { topics: [${input}] }`,
      `to: ${output}`,
      `groupId: ${group}`,
      'mode: exactly-once',
      'onKeyFailure: park',
      'retry: { maxAttempts: 1 }',
      'steps:',
      '  - unwrap: {}',
    ];
    if (strict)
      lines.push('  - validate: { rules: [{ name: email-required, check: required, field: email }] }');
    writeFileSync(file, [...lines, ''].join('\n'));
    return file;
  };
  const start = async (strict: boolean) => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = startTransformer(appConfig(pipeline(strict), { http: { host: '127.0.0.1', port } }));
    await untilReady(`${url}/health/ready`);
  };
  const stop = async () => {
    if (app && app.exitCode === null && app.signalCode === null) {
      app.kill('SIGTERM');
      await new Promise((r) => app!.once('exit', r));
    }
  };
  const status = async () =>
    (await (await fetch(`${url}/status`)).json()) as {
      recordsProcessed: number;
      recordsDeadLettered: number;
      recordsParked: number;
    };
  const dlq = (...args: string[]): CliRun =>
    runSluice(['dlq', ...args, '--group', group], { timeoutMs: 90_000 });
  const json = jsonOutput;
  /** Output totals per order id, in output order. */
  const totalsById = async (count: number) => {
    const records = await readDecoded(kafka, [output], count, uniqueName('it.tr-redrive.reader'), 60_000);
    const byId = new Map<number, number[]>();
    for (const r of records) {
      const id = Number(r.value!.id);
      byId.set(id, [...(byId.get(id) ?? []), Number(r.value!.total)]);
    }
    return { count: records.length, byId };
  };

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([
      { name: input, partitions: 1, replicationFactor: 1 },
      { name: output, partitions: 1, replicationFactor: 1 },
    ]);
    await untilLeaders(admin, input);
    await untilLeaders(admin, output);
    await start(true);
    await write([row(0, 1), row(3, 3.1, null), row(1, 1), row(3, 3.2), row(2, 1), row(3, 3.3), row(4, 1)]);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const s = await status();
      if (s.recordsDeadLettered >= 1 && s.recordsParked >= 2 && s.recordsProcessed >= 4) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await stop();
    await deleteTopicsIfPresent(admin, [
      input,
      output,
      `${group}.dlq`,
      `${group}.dlq.parked`,
      `${group}.dlq.audit`,
    ]);
    await admin.disconnect();
  });

  it('the strict pipeline passes the other orders and parks order 3 behind its change without an e-mail', async () => {
    const { count, byId } = await totalsById(4);
    assert.equal(count, 4);
    assert.deepEqual([...byId.keys()].sort(), [0, 1, 2, 4]);
    const summary = json<{
      total: number;
      parkedKeys: number;
      byErrorClass: Array<{ errorClass: string; count: number }>;
    }>(dlq('list', '-o', 'json'));
    assert.deepEqual([summary.total, summary.parkedKeys], [3, 1]);
    assert.deepEqual(summary.byErrorClass.map((c) => [c.errorClass, c.count]).sort(), [
      ['ValidationFailedError', 1],
      ['parked', 2],
    ]);
  });

  it('after the fix and a restart, redrive replays order 3 in order, once, and releases it', async () => {
    await stop();
    await start(false);
    const result = json<{ published: number; releases: unknown[] }>(dlq('redrive', '-o', 'json'));
    assert.deepEqual([result.published, result.releases.length], [3, 1]);

    const redriven = await totalsById(7);
    assert.equal(redriven.count, 7);
    assert.deepEqual(redriven.byId.get(3), [3.1, 3.2, 3.3], 'order 3 in its original order, once each');

    const deadline = Date.now() + 60_000;
    while (json<{ parkedKeys: number }>(dlq('list', '-o', 'json')).parkedKeys !== 0) {
      assert.ok(Date.now() < deadline, 'order 3 released');
      await new Promise((r) => setTimeout(r, 500));
    }
    await write([row(3, 3.4)]);
    const after = await totalsById(8);
    assert.deepEqual(after.byId.get(3), [3.1, 3.2, 3.3, 3.4], 'a new change of order 3 flows directly');
    const s = await status();
    assert.deepEqual(
      [s.recordsDeadLettered, s.recordsParked],
      [0, 0],
      'nothing dead-lettered or parked again',
    );
  });
});
