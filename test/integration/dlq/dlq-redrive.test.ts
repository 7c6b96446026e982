// `sluice dlq` against the real stack, through bin/sluice.js: sink-postgres (onKeyFailure park,
// conflicts none — rows applied in consumption order, so the final row proves the order) refuses
// a row whose schema needs a column type the replica does not have; the key's later changes are parked. list / show / the
// filters read the DLQ; purge refuses while the key is parked; a dry run changes nothing; the
// column is widened and `dlq redrive` replays the parked sequence: the replica ends with the key's
// LAST value, the key is released (a new change applies directly), the audit topic records it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Producer } from 'kafkajs';
import { createProducer } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordEncoder } from '@sluice/schema';
import {
  type CliRun,
  jsonOutput,
  runSluice,
  runSluiceOnTerminal,
  stackAddresses,
  terminalAvailable,
} from '@sluice/test-support';
import { type SpawnedApp, SinkTestBed } from '../sink-postgres/sink-postgres-harness';

const KEY = JSON.stringify({ type: 'record', name: 'Key', fields: [{ name: 'id', type: 'long' }] });
const V1_FIELDS = [
  { name: 'id', type: 'long' },
  { name: 'code', type: ['null', 'string'], default: null },
];
const VALUE = JSON.stringify({ type: 'record', name: 'Row', fields: V1_FIELDS });
/** Adds `amount` as text, which the replica's integer column cannot take (IncompatibleTableError). */
const VALUE_V2 = JSON.stringify({
  type: 'record',
  name: 'Row',
  fields: [...V1_FIELDS, { name: 'amount', type: ['null', 'string'], default: null }],
});

describe('sluice dlq: list, show, purge, redrive of a parked key', { timeout: 420_000 }, () => {
  let bed: SinkTestBed;
  let producer: Producer;
  let encoder: RecordEncoder;
  let sink: SpawnedApp;
  let topic: string;
  let group: string;
  const startedAt = Date.now();
  const terminal = terminalAvailable();
  /** A terminal's output without its control sequences and carriage returns. */
  // eslint-disable-next-line no-control-regex
  const plain = (screen: string) => screen.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  /** `<topic>/<partition>/<offset>` of the refused change of key 2. */
  let failedOrigin = '';

  const dlq = (...args: string[]): CliRun =>
    runSluice(['dlq', ...args, '--group', group], { timeoutMs: 90_000 });
  const json = jsonOutput;
  const send = async (changes: Array<[number, string] | [number, string, string]>) => {
    for (const [id, code, amount] of changes)
      await producer.send({
        topic,
        messages: [
          {
            key: await encoder.encode(`${topic}-key`, KEY, { id }),
            value:
              amount === undefined
                ? await encoder.encode(`${topic}-value`, VALUE, { id, code })
                : await encoder.encode(`${topic}-value`, VALUE_V2, { id, code, amount }),
          },
        ],
      });
  };
  const replica = async () =>
    Object.fromEntries(
      (
        await bed.sinkSql<{ id: string; code: string }>(`SELECT id, code FROM ${bed.name}.rows ORDER BY id`)
      ).map((r) => [r.id, r.code]),
    );

  before(async () => {
    bed = await SinkTestBed.open('it_dlq');
    topic = `${bed.name}.rows`;
    group = `${bed.name}.redrive`;
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    // `amount` is an integer: a row of the schema version with a text `amount` is refused by the
    // sink's processor (IncompatibleTableError, TASK_PUT), which parks its key.
    await bed.sinkSql(
      `CREATE TABLE ${bed.name}.rows (id bigint PRIMARY KEY, code text, amount integer, __sluice_lsn bigint, __sluice_ts_ms bigint)`,
    );
    encoder = new RecordEncoder(new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }));
    producer = createProducer(bed.source.kafka);
    await producer.connect();
    // Three steps, each settled before the next.
    sink = await bed.spawnSink(bed.sinkConfig({ topics: [topic], group, conflicts: 'none' }));
    await send([
      [1, 'a1'],
      [2, 'ok'],
      [3, 'y'],
    ]);
    await bed.waitForStatus(sink, (s) => s.rowsUpserted >= 3, 120_000);
    await send([[2, 'bad', '12.5']]); // refused: key 2 parked behind it
    await bed.waitForStatus(sink, (s) => s.recordsDeadLettered >= 1, 60_000);
    await send([
      [1, 'b1'],
      [2, 'x2'],
      [2, 'mid', '7'], // parked (would be refused too, but is never tried)
      [3, 'z'],
      [2, 'fin'],
    ]);
    await bed.waitForStatus(sink, (s) => {
      const counts = s as typeof s & { recordsParked: number; recordsProcessed: number };
      return counts.recordsParked >= 3 && counts.recordsProcessed >= 5;
    });
    // Counters move when a record finishes; its row is visible once the batch committed.
    await bed.source.waitFor(
      async () => {
        const rows = await replica();
        return rows['1'] === 'b1' && rows['3'] === 'z' ? true : undefined;
      },
      60_000,
      'the batch committed',
    );
  });

  after(async () => {
    await producer?.disconnect().catch(() => undefined);
    await bed?.cleanup();
  });

  it('the sink applied everything but the parked key, whose refused change and later changes are in the DLQ', async () => {
    assert.deepEqual(await replica(), { 1: 'b1', 2: 'ok', 3: 'z' });
  });

  it('list counts by error class, per original topic, and the parked key', () => {
    const summary = json<{
      total: number;
      byErrorClass: Array<{ errorClass: string; count: number }>;
      byTopic: Array<{ topic: string; count: number }>;
      parkedKeys: number;
    }>(dlq('list', '-o', 'json'));
    assert.equal(summary.total, 4);
    assert.deepEqual(
      summary.byErrorClass.map((c) => [c.errorClass, c.count]),
      [
        ['parked', 3],
        ['IncompatibleTableError', 1],
      ],
    );
    assert.deepEqual(summary.byTopic, [{ topic, count: 4 }]);
    assert.equal(summary.parkedKeys, 1);
    const text = dlq('list');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /4 dead letter\(s\).*1 key\(s\) parked/);
    assert.match(text.stdout, /IncompatibleTableError\s+1/);
  });

  it('show decodes key and value through the registry and prints the error headers as text; filters select', () => {
    type Shown = {
      matched: number;
      deadLetters: Array<{
        errorClass: string;
        key: { avro: unknown };
        value: { avro: unknown };
        headers: Record<string, string>;
        origin: string;
      }>;
    };
    const refused = json<Shown>(dlq('show', '--error-class', 'IncompatibleTableError', '-o', 'json'));
    assert.equal(refused.matched, 1);
    const letter = refused.deadLetters[0]!;
    assert.deepEqual(letter.key.avro, { id: 2 });
    assert.deepEqual(letter.value.avro, { id: 2, code: 'bad', amount: '12.5' });
    assert.equal(letter.headers['__connect.errors.stage'], 'TASK_PUT');
    assert.match(letter.headers['__connect.errors.exception.message']!, /column amount is integer/);
    assert.ok(letter.origin.startsWith(`${topic}/`), letter.origin);
    failedOrigin = letter.origin;

    assert.equal(
      json<Shown>(dlq('show', '--key', '2', '-o', 'json')).matched,
      4,
      'a one-field key by its value',
    );
    assert.equal(json<Shown>(dlq('show', '--key', '{"id":2}', '-o', 'json')).matched, 4, 'by its Avro JSON');
    assert.equal(json<Shown>(dlq('show', '--key', '1', '-o', 'json')).matched, 0);
    assert.equal(json<Shown>(dlq('show', '--to-time', String(startedAt - 60_000), '-o', 'json')).matched, 0);
    assert.equal(
      json<Shown>(dlq('show', '--from-time', new Date(startedAt - 60_000).toISOString(), '-o', 'json'))
        .matched,
      4,
    );
    assert.equal(
      json<Shown>(dlq('show', '--error-class', 'parked', '--limit', '2', '-o', 'json')).deadLetters.length,
      2,
    );
    const text = dlq('show', '--error-class', 'parked');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /value: \{"id":2,"code":"fin"\}/);
    assert.ok(text.stdout.includes(`parked behind offset ${failedOrigin.split('/').at(-1)}`));
  });

  it("purge needs --yes off a terminal (exit 2), and refuses to delete a parked key's dead letters (exit 1)", () => {
    const noYes = dlq('purge');
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /--yes/);
    const refused = dlq('purge', '--yes');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /still parked.*--force/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
  });

  it('redrive --dry-run plans the parked sequence and changes nothing', async () => {
    const plan = json<{
      published: number;
      copies: Array<{ of: string; parked?: string; releases?: boolean }>;
      releases: unknown[];
    }>(dlq('redrive', '--dry-run', '-o', 'json'));
    assert.equal(plan.published, 0);
    // Key 2's sequence: its refused change, then the three parked, all in its partition, in order.
    const [, partition, failed] = /\/(\d+)\/(\d+)$/.exec(failedOrigin)!;
    assert.equal(plan.copies.length, 4);
    const offsets = plan.copies.map((c) => BigInt(c.of.split('/').at(-1)!));
    assert.equal(offsets[0], BigInt(failed!));
    assert.deepEqual(
      [...offsets].sort((a, b) => (a < b ? -1 : 1)),
      offsets,
      'original order',
    );
    assert.ok(plan.copies.every((c) => c.of.startsWith(`${topic}/${partition}/`) && c.parked === failed));
    assert.deepEqual(
      plan.copies.map((c) => c.releases ?? false),
      [false, false, false, true],
    );
    assert.equal(plan.releases.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.deepEqual(await replica(), { 1: 'b1', 2: 'ok', 3: 'z' });
    const summary = json<{ total: number; parkedKeys: number; lastRuns: unknown[] }>(
      dlq('list', '-o', 'json'),
    );
    assert.deepEqual([summary.total, summary.parkedKeys, summary.lastRuns.length], [4, 1, 0]);
  });

  it('after the fix, redrive replays the parked changes in order, releases the key and records it in the audit topic', async () => {
    await bed.sinkSql(`ALTER TABLE ${bed.name}.rows ALTER COLUMN amount TYPE text`);
    const result = json<{ id: string; published: number; releases: unknown[] }>(
      dlq('redrive', '--actor', 'it-operator', '-o', 'json'),
    );
    assert.equal(result.published, 4);
    await bed.source.waitFor(
      async () => ((await replica())['2'] === 'fin' ? true : undefined),
      90_000,
      'key 2 = fin',
    );
    assert.deepEqual(await replica(), { 1: 'b1', 2: 'fin', 3: 'z' }, "the parked key's last value wins");

    // Released: the tombstone is in the marker topic, and a new change applies directly.
    await bed.source.waitFor(
      async () =>
        json<{ parkedKeys: number }>(dlq('list', '-o', 'json')).parkedKeys === 0 ? true : undefined,
      60_000,
      'key released',
    );
    await send([[2, 'new']]);
    await bed.source.waitFor(
      async () => ((await replica())['2'] === 'new' ? true : undefined),
      60_000,
      'key 2 = new',
    );
    const status = await bed.status(sink);
    const counts = status as typeof status & { recordsParked: number };
    assert.deepEqual(
      [status.recordsDeadLettered, counts.recordsParked],
      [1, 3],
      'nothing dead-lettered or parked again',
    );

    const summary = json<{
      total: number;
      lastRuns: Array<{
        kind: string;
        id: string;
        actor: string;
        count: number;
        deadLetters: string[];
        releases: unknown[];
      }>;
    }>(dlq('list', '-o', 'json'));
    const audit = summary.lastRuns.at(-1)!;
    assert.deepEqual(
      [audit.kind, audit.id, audit.actor, audit.count, audit.deadLetters.length, audit.releases.length],
      ['redrive', result.id, 'it-operator', 4, 4, 1],
    );
    const shown = json<{ deadLetters: Array<{ redrivenBy: string[] }> }>(dlq('show', '-o', 'json'));
    assert.ok(
      shown.deadLetters.every((d) => d.redrivenBy.includes(result.id)),
      'show marks them redriven',
    );
  });

  it('a DLQ record without error headers is listed as unknown, never redriven; redriven ones are not redriven twice', async () => {
    await producer.send({
      topic: `${group}.dlq`,
      messages: [{ value: 'written by someone else', partition: 0 }],
    });
    const summary = json<{ total: number; byErrorClass: Array<{ errorClass: string; count: number }> }>(
      dlq('list', '-o', 'json'),
    );
    assert.equal(summary.total, 5);
    assert.deepEqual(summary.byErrorClass.find((c) => c.errorClass === 'unknown')?.count, 1);
    const shown = json<{ deadLetters: Array<{ value: { text: string } }> }>(
      dlq('show', '--error-class', 'unknown', '-o', 'json'),
    );
    assert.equal(shown.deadLetters[0]!.value.text, 'written by someone else');
    const again = json<{ published: number; skipped: { alreadyRedriven: number; noOrigin: number } }>(
      dlq('redrive', '-o', 'json'),
    );
    assert.deepEqual([again.published, again.skipped.alreadyRedriven, again.skipped.noOrigin], [0, 4, 1]);
  });

  it('records in the audit topic Sluice did not write are skipped with a warning naming them; the runs still count', async () => {
    await producer.send({
      topic: `${group}.dlq.audit`,
      messages: [{ value: 'not Sluice' }, { value: null }, { value: '{"kind":"other","id":"x"}' }],
    });
    const listed = dlq('list', '-o', 'json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(json<{ lastRuns: unknown[] }>(listed).lastRuns.length > 0, 'the real runs are listed');
    assert.match(listed.stderr, /warning: audit record at .*\.dlq\.audit\[0\]@\d+ .*: skipped/);
    const again = json<{ published: number; skipped: { alreadyRedriven: number; noOrigin: number } }>(
      dlq('redrive', '-o', 'json'),
    );
    assert.deepEqual(
      [again.published, again.skipped.alreadyRedriven, again.skipped.noOrigin],
      [0, 4, 1],
      'the runs recorded before them still keep a dead letter from a second redrive',
    );
  });

  it(
    'on a terminal, purge asks first: anything but y deletes nothing and records nothing (exit 1)',
    { skip: terminal ? false : 'util-linux `script` is not installed here: no terminal to prompt on' },
    () => {
      const declined = runSluiceOnTerminal(['dlq', 'purge', '--group', group], 'n\n', { timeoutMs: 90_000 });
      const screen = plain(declined.stdout);
      assert.equal(declined.code, 1, screen);
      assert.match(screen, new RegExp(`delete 5 dead letter\\(s\\) from ${group}\\.dlq\\? \\[y/N\\]`));
      assert.match(screen, /purge not confirmed; nothing deleted/);
      assert.equal(json<{ total: number }>(dlq('list', '-o', 'json')).total, 5);
    },
  );

  it('purge deletes the DLQ once confirmed (--yes, or y on a terminal): the key is no longer parked; audited', () => {
    const none = json<{ deleted: number }>(
      dlq('purge', '--yes', '--before', new Date(startedAt - 60_000).toISOString(), '-o', 'json'),
    );
    assert.equal(none.deleted, 0, 'nothing is older than the suite');
    const args = ['dlq', 'purge', '--group', group, '--actor', 'it-operator', '-o', 'json'];
    let purged: { deleted: number };
    if (terminal) {
      const confirmed = runSluiceOnTerminal(args, 'y\n', { timeoutMs: 90_000 });
      const screen = plain(confirmed.stdout);
      assert.equal(confirmed.code, 0, screen);
      purged = JSON.parse(screen.slice(screen.indexOf('{'))) as { deleted: number };
    } else purged = json<{ deleted: number }>(runSluice([...args, '--yes'], { timeoutMs: 90_000 }));
    assert.equal(purged.deleted, 5);
    const summary = json<{ total: number; lastRuns: Array<{ kind: string; count: number }> }>(
      dlq('list', '-o', 'json'),
    );
    assert.equal(summary.total, 0);
    assert.deepEqual(
      summary.lastRuns.map((r) => [r.kind, r.count]),
      [
        ['redrive', 4],
        ['purge', 0],
        ['purge', 5],
      ],
    );
  });

  it('usage and failures: bad flags exit 2 naming the flag; an unknown group exits 1 in one line', () => {
    const badTime = runSluice(['dlq', 'show', '--group', group, '--from-time', 'soon']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--from-time/);
    const badLimit = runSluice(['dlq', 'show', '--group', group, '--limit', '0']);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /--limit/);
    const noGroup = runSluice(['dlq', 'list']);
    assert.equal(noGroup.code, 2);
    assert.match(noGroup.stderr, /--group/);
    const unknown = runSluice(['dlq', 'list', '--group', `${group}.nope`]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
    assert.match(unknown.stderr, /has no dead-letter topic/);
  });
});
