import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lsn } from '../lsn/lsn';
import {
  parseReplicationFrame,
  ReplicationProtocolError,
  standbyStatusUpdate,
  XLOG_DATA_HEADER_BYTES,
} from './replication-protocol';

describe('replication protocol frames', () => {
  it('reads XLogData: walStart, walEnd and where the payload starts', () => {
    const frame = Buffer.alloc(XLOG_DATA_HEADER_BYTES + 3);
    frame[0] = 0x77;
    Lsn.parse('1/10').toBuffer().copy(frame, 1);
    Lsn.parse('1/20').toBuffer().copy(frame, 9);
    frame.set([0x42, 0x43, 0x44], XLOG_DATA_HEADER_BYTES);
    const parsed = parseReplicationFrame(frame);
    assert.equal(parsed.kind, 'xlog-data');
    assert.ok(parsed.kind === 'xlog-data' && parsed.walStart.equals(Lsn.parse('1/10')));
    assert.ok(parsed.kind === 'xlog-data' && parsed.walEnd.equals(Lsn.parse('1/20')));
    assert.equal(parsed.kind === 'xlog-data' && frame[parsed.payloadOffset], 0x42);
  });

  it('reads a primary keepalive and whether a reply is requested', () => {
    const frame = Buffer.alloc(18);
    frame[0] = 0x6b;
    Lsn.parse('A/B').toBuffer().copy(frame, 1);
    frame[17] = 1;
    assert.deepEqual(parseReplicationFrame(frame), {
      kind: 'keepalive',
      walEnd: Lsn.parse('A/B'),
      replyRequested: true,
    });
    frame[17] = 0;
    assert.equal((parseReplicationFrame(frame) as { replyRequested: boolean }).replyRequested, false);
  });

  it('refuses unknown, empty and short frames with an error naming the frame', () => {
    assert.throws(() => parseReplicationFrame(Buffer.alloc(0)), /an empty frame/);
    assert.throws(() => parseReplicationFrame(Buffer.from([0x77, 0, 0])), /3-byte frame of type 0x77/);
    assert.throws(() => parseReplicationFrame(Buffer.from([0x6b])), ReplicationProtocolError);
    assert.throws(
      () => parseReplicationFrame(Buffer.from([0x51, 1, 2])),
      (error: unknown) =>
        error instanceof ReplicationProtocolError && error.code === 'PG_REPLICATION_PROTOCOL',
    );
  });

  it("writes a standby status update with three positions and the clock in Postgres's epoch", () => {
    const at = Date.UTC(2000, 0, 1, 0, 0, 1); // one second after the Postgres epoch
    const buffer = standbyStatusUpdate(Lsn.parse('0/3'), Lsn.parse('0/2'), Lsn.parse('0/1'), at, true);
    assert.equal(buffer.length, 34);
    assert.equal(buffer[0], 0x72);
    assert.equal(buffer.readBigUInt64BE(1), 3n);
    assert.equal(buffer.readBigUInt64BE(9), 2n);
    assert.equal(buffer.readBigUInt64BE(17), 1n);
    assert.equal(buffer.readBigInt64BE(25), 1_000_000n);
    assert.equal(buffer[33], 1);
  });
});
