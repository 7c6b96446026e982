import { buildDeadLetterRecord, type DeadLetterContext } from '../dead-letter/dead-letter-headers';
import { readRedriveHeaders, type RedriveMark } from '../dead-letter/redrive-headers';
import { type PartitionDelivery } from '../delivery/partition-delivery';
import { type StreamRecord } from '../processor/stream-record';
import { type ParkedKeys } from './key-parking';
import { parkedMarker, releaseMarker } from './parked-key-record';

/** Parking changes of one batch, undone when the batch is given up (its markers are not committed). */
export interface BatchParking {
  /** Records whose failure parked their key in this batch. */
  readonly parked: StreamRecord[];
  /** Keys released in this batch because their failed record succeeded when redone. */
  readonly released: Array<{ readonly key: Buffer; readonly failedOffset: bigint }>;
  /** Redrives of a parked key broken in this batch by a copy that failed again. */
  readonly brokenRedrives?: Array<{ readonly key: Buffer; readonly redriveId: string }>;
}

/** A parked key whose redrive was processed but which stays parked: records parked after the redrive's selection. */
export interface KeptParked {
  readonly record: StreamRecord;
  readonly failedOffset: bigint;
  readonly parkedAfter: readonly bigint[];
}

/**
 * A kept-parked redrive as the fields and message of a log line: the apps warn with it, so an
 * operator sees why the key is still parked and that another redrive will take the rest.
 */
export function keptParkedLog(kept: KeptParked): [Record<string, string | number | string[]>, string] {
  const { record, failedOffset, parkedAfter } = kept;
  return [
    {
      topic: record.topic,
      partition: record.partition,
      key: record.key?.toString('utf8') ?? '',
      failedOffset: String(failedOffset),
      parkedAfter: parkedAfter.map(String),
    },
    `redrive of ${record.topic}[${record.partition}] key parked at ${failedOffset} processed; ` +
      `the key stays parked behind ${parkedAfter.length} record(s) parked after the redrive read the DLQ: redrive again`,
  ];
}

/**
 * Where a record meets the gate: its partition's parked keys, its batch's parking changes, and the
 * partition's delivery, through which parked dead letters and the `<group>.dlq.parked` markers go
 * (durable with the batch: same transaction, or acknowledged before the offset commit).
 */
export interface GateScope {
  readonly parked: ParkedKeys;
  readonly changes: BatchParking;
  readonly delivery: Pick<PartitionDelivery<unknown>, 'deadLetter'>;
}

/** How the gate lets a record through, decided from its key (and, for a parked key, its offset and redrive headers). */
export type KeyAdmission =
  /** Its key is not parked, or the record comes before the park (a batch redone): processed as the first time. */
  | { readonly kind: 'process' }
  /** The failed record its key is parked behind, redone after a batch that was not committed: its success releases the key. */
  | { readonly kind: 'redo' }
  /** A redriven copy of its key's parked sequence: processed in order; the copy marked `release` releases the key. */
  | { readonly kind: 'replay'; readonly redrive: RedriveMark }
  /** A later record of a parked key: not processed, dead-lettered as parked behind the failed offset `behind`. */
  | { readonly kind: 'park'; readonly behind: bigint };

/**
 * The park/redrive protocol of `onKeyFailure` (docs/stream-runtime.md, docs/dlq.md), as one
 * record's work meets it: `admit` before the record is processed, then exactly one of `park` (the
 * admission said so), `onProcessed` (after its outputs were handed over) or `onDeadLettered`
 * (after its failure's dead letter was). Records of one key come through one at a time, in
 * offset order (the KeyScheduler's promise), so a key's state does not change between its calls.
 */
export interface KeyGate {
  admit(record: StreamRecord, scope: GateScope): KeyAdmission;
  /** Dead-letters the record as parked behind its key's failed record, and notes it parked. */
  park(
    record: StreamRecord,
    admission: Extract<KeyAdmission, { kind: 'park' }>,
    scope: GateScope,
  ): Promise<void>;
  /** The record was processed and its outputs handed over: a redone failed record or a redrive's last copy releases its key. */
  onProcessed(record: StreamRecord, admission: KeyAdmission, scope: GateScope): Promise<void>;
  /** The record's failure was dead-lettered: its key is parked behind it (a replay stops there). */
  onDeadLettered(record: StreamRecord, admission: KeyAdmission, scope: GateScope): Promise<void>;
}

export interface KeyGateOptions {
  readonly group: string;
  readonly onKeyFailure: 'skip' | 'park';
  /** The processor's name: the component a parked record's dead letter names. */
  readonly className: string;
  /** A redrive's release copy was processed but the key stays parked (a further redrive is needed). */
  readonly onKeptParked?: (kept: KeptParked) => void;
}

const PROCESS: KeyAdmission = Object.freeze({ kind: 'process' });
const REDO: KeyAdmission = Object.freeze({ kind: 'redo' });
const done = Promise.resolve();

/** `onKeyFailure: skip`: no key is ever held; a failed record is dead-lettered and its key's next records are processed. */
const OPEN_KEY_GATE: KeyGate = {
  admit: () => PROCESS,
  park: () => done,
  onProcessed: () => done,
  onDeadLettered: () => done,
};

/**
 * `onKeyFailure: park`. Once a record of a key is dead-lettered, its key is parked behind it and the
 * key's later records follow it into the DLQ marked parked, until the key is released: by a redone
 * failed record that now succeeds, by a redrive replaying the parked sequence in order (its last
 * copy releases the key, unless records were parked after the redrive's selection: then
 * `onKeptParked`), or by `unpark` (the PartitionWorker). A copy failing again stops its redrive's
 * replay: the rest of that redrive's copies are parked behind the same failure.
 */
class ParkingKeyGate implements KeyGate {
  private readonly group: string;
  private readonly parkedContext: DeadLetterContext;
  private readonly onKeptParked: ((kept: KeptParked) => void) | undefined;

  constructor(options: Omit<KeyGateOptions, 'onKeyFailure'>) {
    this.group = options.group;
    this.parkedContext = { group: options.group, stage: 'TRANSFORMATION', className: options.className };
    this.onKeptParked = options.onKeptParked;
  }

  admit(record: StreamRecord, { parked }: GateScope): KeyAdmission {
    const behind = parked.behind(record.key);
    // A record at or below the failed offset is redone after a batch that was not committed (a
    // restored park may be one step ahead of the source offset): it runs as it did the first time.
    if (behind === undefined || record.offset < behind) return PROCESS;
    if (record.offset === behind) return REDO;
    // A redriven copy of the key's parked sequence is that sequence replayed in order: processed.
    const mark = readRedriveHeaders(record.headers);
    if (mark?.parked !== undefined && parked.replays(record.key, mark.id, mark.parked)) {
      return { kind: 'replay', redrive: mark };
    }
    return { kind: 'park', behind };
  }

  async park(
    record: StreamRecord,
    admission: Extract<KeyAdmission, { kind: 'park' }>,
    { parked, delivery }: GateScope,
  ): Promise<void> {
    const letter = buildDeadLetterRecord(record, this.parkedContext, {
      kind: 'parked',
      behindOffset: admission.behind,
    });
    await delivery.deadLetter(letter, record.partition);
    parked.noteParked(record.key, record.offset);
  }

  async onProcessed(record: StreamRecord, admission: KeyAdmission, scope: GateScope): Promise<void> {
    // The failure it was parked behind did not happen this time (a retriable cause went away).
    if (admission.kind === 'redo') await this.release(record, record.offset, scope);
    else if (admission.kind === 'replay' && admission.redrive.release !== undefined) {
      await this.releaseAfterRedrive(record, admission.redrive.release, scope);
    }
  }

  async onDeadLettered(record: StreamRecord, admission: KeyAdmission, scope: GateScope): Promise<void> {
    const { parked, changes, delivery } = scope;
    if (admission.kind === 'replay') {
      // The replay stops here; the rest of this redrive's copies of the key are parked behind it.
      parked.breakRedrive(record.key, admission.redrive.id);
      changes.brokenRedrives?.push({ key: record.key!, redriveId: admission.redrive.id });
    }
    if (parked.park(record.key, record.offset)) {
      changes.parked.push(record);
      // Durable with the dead letter: the same transaction, or acknowledged before the commit.
      await delivery.deadLetter(
        parkedMarker(this.group, record, record.key!, record.offset),
        record.partition,
      );
    }
  }

  /**
   * The last copy of a parked sequence was processed: the key is released — the tombstone written
   * with the batch, like a redone failed record's — unless records of the key were parked after the
   * redrive's selection (above `through`); those wait for the next redrive, still behind the park.
   */
  private async releaseAfterRedrive(
    record: StreamRecord,
    release: NonNullable<RedriveMark['release']>,
    scope: GateScope,
  ): Promise<void> {
    const later = scope.parked.parkedAfter(record.key, release.through);
    if (later.length > 0) {
      this.onKeptParked?.({ record, failedOffset: release.failedOffset, parkedAfter: later });
      return;
    }
    await this.release(record, release.failedOffset, scope);
  }

  /** Releases the record's key parked behind `failedOffset`, with its tombstone in the batch. */
  private async release(
    record: StreamRecord,
    failedOffset: bigint,
    { parked, changes, delivery }: GateScope,
  ): Promise<void> {
    parked.release(record.key);
    changes.released.push({ key: record.key!, failedOffset });
    await delivery.deadLetter(releaseMarker(this.group, record, record.key!), record.partition);
  }
}

/** The gate of `onKeyFailure`: `park` holds a failed record's key (ParkingKeyGate); `skip` holds none. */
export function keyGateFor(options: KeyGateOptions): KeyGate {
  return options.onKeyFailure === 'park' ? new ParkingKeyGate(options) : OPEN_KEY_GATE;
}
