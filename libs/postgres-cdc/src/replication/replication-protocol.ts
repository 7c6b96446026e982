import { FatalRecordError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';

// Messages of the streaming replication protocol inside CopyData (Postgres docs, "Streaming
// Replication Protocol"): the server sends XLogData 'w' and Primary keepalive 'k'; the client sends
// Standby status update 'r'.
const XLOG_DATA = 0x77; // w
const KEEPALIVE = 0x6b; // k
const STANDBY_STATUS = 0x72; // r

/** Size of XLogData's header: 'w', walStart, walEnd, serverTime. The payload follows. */
export const XLOG_DATA_HEADER_BYTES = 25;

/** Microseconds between the Unix epoch and Postgres's epoch (2000-01-01 UTC). */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;

export interface XLogDataFrame {
  readonly kind: 'xlog-data';
  /** WAL position of the payload's first byte. */
  readonly walStart: Lsn;
  /** The server's current end of WAL. */
  readonly walEnd: Lsn;
  /** Offset of the payload (a pgoutput message) in the CopyData buffer. */
  readonly payloadOffset: number;
}

export interface KeepaliveFrame {
  readonly kind: 'keepalive';
  readonly walEnd: Lsn;
  /** The server asks for an immediate status update (it is about to time the client out). */
  readonly replyRequested: boolean;
}

export type ReplicationFrame = XLogDataFrame | KeepaliveFrame;

/** A CopyData frame of the replication protocol Sluice cannot read. */
export class ReplicationProtocolError extends FatalRecordError {
  constructor(message: string) {
    super(message, { code: 'PG_REPLICATION_PROTOCOL' });
  }
}

/** Reads the header of one server CopyData frame; the pgoutput payload is left in place. */
export function parseReplicationFrame(buffer: Buffer): ReplicationFrame {
  const tag = buffer.length > 0 ? buffer[0] : undefined;
  if (tag === XLOG_DATA && buffer.length >= XLOG_DATA_HEADER_BYTES) {
    return {
      kind: 'xlog-data',
      walStart: Lsn.fromBuffer(buffer, 1),
      walEnd: Lsn.fromBuffer(buffer, 9),
      payloadOffset: XLOG_DATA_HEADER_BYTES,
    };
  }
  if (tag === KEEPALIVE && buffer.length >= 18) {
    return { kind: 'keepalive', walEnd: Lsn.fromBuffer(buffer, 1), replyRequested: buffer[17] === 1 };
  }
  const what =
    tag === undefined ? 'an empty frame' : `a ${buffer.length}-byte frame of type 0x${tag.toString(16)}`;
  throw new ReplicationProtocolError(
    `Unexpected replication CopyData: ${what} (expected XLogData 'w' of >= ${XLOG_DATA_HEADER_BYTES} bytes ` +
      `or Primary keepalive 'k' of 18 bytes)`,
  );
}

/**
 * Standby status update: the positions written, flushed and applied (Postgres advances the
 * slot's confirmed_flush_lsn to `flushed`), the client clock, and whether the server should reply.
 */
export function standbyStatusUpdate(
  written: Lsn,
  flushed: Lsn,
  applied: Lsn,
  nowMillis: number,
  replyRequested = false,
): Buffer {
  const buffer = Buffer.alloc(34);
  buffer[0] = STANDBY_STATUS;
  buffer.writeBigUInt64BE(written.toBigInt(), 1);
  buffer.writeBigUInt64BE(flushed.toBigInt(), 9);
  buffer.writeBigUInt64BE(applied.toBigInt(), 17);
  buffer.writeBigInt64BE(BigInt(Math.trunc(nowMillis)) * 1000n - POSTGRES_EPOCH_MICROS, 25);
  buffer[33] = replyRequested ? 1 : 0;
  return buffer;
}
