import {
  type DeadLetterInfo,
  type RecordHeader,
  type RedriveMark,
  type RedriveOrigin,
  readDeadLetterHeaders,
  readRedriveHeaders,
} from '@sluice/stream';

/** The error class of a dead letter parked behind an earlier failure of its key (no error of its own). */
export const PARKED_CLASS = 'parked';
/** The error class of a record in a DLQ without readable error headers (written by someone else). */
export const UNKNOWN_CLASS = 'unknown';

/** One record of a group's DLQ, with what its headers say about the failure. */
export interface DeadLetter {
  /** Where it sits in `<group>.dlq`. */
  readonly partition: number;
  readonly offset: bigint;
  /** The DLQ record's timestamp, ms (the runtime keeps the original record's). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** The record that failed, from Connect's headers; undefined when they are missing or unknown (-1). */
  readonly origin?: RedriveOrigin;
  /**
   * The original record it stands for: the redrive's `of` when this dead letter is a redriven copy
   * that failed or was parked again, else `origin`.
   */
  readonly source?: RedriveOrigin;
  /** The exception's class, `parked`, or `unknown` (no Sluice or Connect error headers). */
  readonly errorClass: string;
  readonly message?: string;
  readonly stage?: string;
  readonly attempts?: number;
  readonly firstAttemptAt?: number;
  readonly lastAttemptAt?: number;
  /** On parked records: the offset of the failed record of the same key they wait behind. */
  readonly parkedBehind?: bigint;
  /** When the dead letter is itself a redriven copy: its redrive mark. */
  readonly redrive?: RedriveMark;
  /** What the runtime left out to fit the DLQ topic (`value (N bytes)`, …): not redriven from here. */
  readonly omitted?: string;
}

/** A record read from the DLQ. */
export interface DeadLetterQueueRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/** Reads a DLQ record into a DeadLetter; never throws (unreadable headers give class `unknown`). */
export function toDeadLetter(record: DeadLetterQueueRecord): DeadLetter {
  const info: DeadLetterInfo | undefined = readDeadLetterHeaders(record.headers);
  const redrive = readRedriveHeaders(record.headers);
  const origin =
    info && info.partition >= 0 && info.offset >= 0n
      ? { topic: info.topic, partition: info.partition, offset: info.offset }
      : undefined;
  const errorClass =
    info?.exception?.className ?? (info?.parkedBehind !== undefined ? PARKED_CLASS : UNKNOWN_CLASS);
  const fields = {
    ...record,
    origin,
    source: redrive?.of ?? origin,
    errorClass,
    message: info?.exception?.message,
    stage: info?.stage,
    attempts: info?.attempts,
    firstAttemptAt: info?.firstAttemptAt,
    lastAttemptAt: info?.lastAttemptAt,
    parkedBehind: info?.parkedBehind,
    redrive,
    omitted: info?.omitted,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as unknown as DeadLetter;
}

/** `partition/offset` of a dead letter in its DLQ: how the audit names it. */
export function deadLetterId(letter: { readonly partition: number; readonly offset: bigint }): string {
  return `${letter.partition}/${letter.offset}`;
}
