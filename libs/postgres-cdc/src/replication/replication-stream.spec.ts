import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'pg';
import { Lsn } from '../lsn/lsn';
import { PgOutputDecoder } from '../pgoutput/pgoutput-decoder';
import { ReplicationStream } from './replication-stream';

/** The flushed position of each standby status update written to the fake connection. */
function fakeClient() {
  const flushed: string[] = [];
  const client = {
    connection: {
      sendCopyFromChunk: (chunk: Buffer) => flushed.push(Lsn.fromBuffer(chunk, 9).toString()),
      stream: { pause: () => undefined, resume: () => undefined },
    },
    end: async () => undefined,
  };
  return { client: client as unknown as Client, flushed };
}

describe('ReplicationStream acknowledgements', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
  afterEach(() => mock.timers.reset());

  const open = (client: Client, acknowledgeIntervalMs: number) =>
    new ReplicationStream(
      client,
      new PgOutputDecoder(),
      { resumeLsn: Lsn.INVALID, statusIntervalMs: 10_000, maxBufferedMessages: 100, acknowledgeIntervalMs },
      'test stream',
    );

  it('tells a burst of acknowledgements with one status update, carrying the last position', async () => {
    const { client, flushed } = fakeClient();
    const stream = open(client, 100);
    for (let i = 1; i <= 500; i++) stream.acknowledge(Lsn.fromBigInt(BigInt(i * 64)));
    assert.deepEqual(flushed, [], 'nothing is written while the burst runs');
    mock.timers.tick(0);
    assert.deepEqual(flushed, [Lsn.fromBigInt(500n * 64n).toString()]);
    assert.equal(stream.position.acknowledgedLsn.toString(), Lsn.fromBigInt(500n * 64n).toString());
    await stream.stop();
  });

  it('sends the next acknowledgement no sooner than acknowledgeIntervalMs after the last update', async () => {
    const { client, flushed } = fakeClient();
    const stream = open(client, 100);
    stream.acknowledge(Lsn.parse('0/00000100'));
    mock.timers.tick(0);
    assert.deepEqual(flushed, ['0/00000100']);

    mock.timers.tick(30);
    stream.acknowledge(Lsn.parse('0/00000200'));
    stream.acknowledge(Lsn.parse('0/00000300'));
    mock.timers.tick(69);
    assert.deepEqual(flushed, ['0/00000100'], '99 ms after the last update: not yet');
    mock.timers.tick(1);
    assert.deepEqual(flushed, ['0/00000100', '0/00000300']);

    // Nothing new: no update; a position that does not advance is not news either.
    stream.acknowledge(Lsn.parse('0/00000250'));
    mock.timers.tick(500);
    assert.deepEqual(flushed, ['0/00000100', '0/00000300']);
    await stream.stop();
  });

  it('stop() tells the last acknowledged position at once and cancels the pending update', async () => {
    const { client, flushed } = fakeClient();
    const stream = open(client, 100);
    stream.acknowledge(Lsn.parse('0/00000100'));
    mock.timers.tick(0);
    stream.acknowledge(Lsn.parse('0/00000400'));
    await stream.stop();
    assert.deepEqual(flushed, ['0/00000100', '0/00000400']);
    mock.timers.tick(1_000);
    assert.deepEqual(flushed, ['0/00000100', '0/00000400'], 'nothing is written after the stop');
  });

  it('a failed stream writes nothing more, and its pending update is dropped', async () => {
    const { client, flushed } = fakeClient();
    const stream = open(client, 100);
    stream.acknowledge(Lsn.parse('0/00000100'));
    stream.fail(new Error('Connection terminated unexpectedly'));
    mock.timers.tick(1_000);
    assert.deepEqual(flushed, [], 'the connection is gone: the slot resends from its confirmed position');
    stream.acknowledge(Lsn.parse('0/00000200'));
    mock.timers.tick(1_000);
    assert.deepEqual(flushed, []);
  });

  it('the periodic status update carries a pending acknowledgement, which then is not sent twice', async () => {
    const { client, flushed } = fakeClient();
    const stream = open(client, 15_000); // longer than the 10 s status interval
    stream.acknowledge(Lsn.parse('0/00000100'));
    mock.timers.tick(0);
    mock.timers.tick(1_000);
    stream.acknowledge(Lsn.parse('0/00000200')); // due at 15 s
    mock.timers.tick(9_000);
    assert.deepEqual(flushed, ['0/00000100', '0/00000200'], 'the status update at 10 s told it');
    mock.timers.tick(5_000);
    assert.deepEqual(
      flushed,
      ['0/00000100', '0/00000200'],
      'and the acknowledgement due at 15 s was dropped',
    );
    mock.timers.tick(5_000);
    assert.deepEqual(
      flushed,
      ['0/00000100', '0/00000200', '0/00000200'],
      'the next periodic update repeats the position',
    );
    await stream.stop();
  });
});
