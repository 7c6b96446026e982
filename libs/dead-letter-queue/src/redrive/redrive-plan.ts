import { type RedriveMark } from '@sluice/stream';
import { type DeadLetter, deadLetterId } from '../dead-letter/dead-letter';

/** A key parked now, as `<group>.dlq.parked` says. */
export interface ParkedKey {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly failedOffset: bigint;
}

/** One record to publish: a copy of `letter` to its original topic and partition. */
export interface RedriveCopy {
  readonly target: { readonly topic: string; readonly partition: number };
  readonly letter: DeadLetter;
  readonly mark: RedriveMark;
}

/** A parked key the redrive replays and releases once its copies are processed. */
export interface RedriveRelease {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly failedOffset: bigint;
  readonly through: bigint;
  readonly records: number;
  /** The sequence misses its failed record (purged with --force?): replayed as it is. */
  readonly missingFailedRecord: boolean;
}

export interface RedrivePlan {
  readonly id: string;
  /** In original order per target partition. */
  readonly copies: readonly RedriveCopy[];
  readonly releases: readonly RedriveRelease[];
  /**
   * Selected dead letters left out: already redriven (per the audit), without an original topic,
   * or cut to fit the DLQ (`omitted`: the copy would not be the record; with a parked key, its whole
   * sequence is left, and the key stays parked).
   */
  readonly skipped: { readonly alreadyRedriven: number; readonly noOrigin: number; readonly cut: number };
}

export interface RedrivePlanInput {
  readonly id: string;
  /** The whole DLQ, in DLQ order per partition. */
  readonly letters: readonly DeadLetter[];
  /** Whether a dead letter is selected by the command's filter. */
  readonly selected: (letter: DeadLetter) => boolean;
  readonly parked: readonly ParkedKey[];
  /** `partition/offset` of dead letters an earlier redrive published (the audit trail). */
  readonly redriven: ReadonlySet<string>;
}

const parkId = (topic: string, partition: number, key: Buffer) =>
  `${topic}\u0000${partition}\u0000${key.toString('hex')}`;
/** Where a parked sequence waits: its partition and the offset of the record it failed on. */
const placeId = (topic: string, partition: number, offset: string | bigint) =>
  `${topic}\u0000${partition}\u0000${offset}`;

/**
 * Which copies a redrive publishes, in which order, with which marks — pure, so the ordering rules
 * are unit-tested:
 *
 * - A selected dead letter of a key parked now brings the key's whole parked sequence: the dead
 *   letter of its failed record, those parked behind it, and redriven copies of it that failed or
 *   were parked again — one per original record (the latest), in original order. Each copy carries
 *   `parked=<failed offset>`; the last also `release` and `through` (the highest offset parked in
 *   the selection), so the runtime replays the sequence and then releases the key.
 * - Other selected dead letters are republished once: those an earlier redrive published are
 *   skipped (re-publishing would apply an old change after newer ones).
 * - Copies go to the original partition, sorted by original offset, so order per key holds.
 */
export function planRedrive(input: RedrivePlanInput): RedrivePlan {
  const parkedBy = new Map(input.parked.map((p) => [parkId(p.topic, p.partition, p.key), p]));
  const sequences = new Map<string, { park: ParkedKey; members: DeadLetter[]; selected: boolean }>();
  const plain: DeadLetter[] = [];
  let alreadyRedriven = 0;
  let noOrigin = 0;
  let cut = 0;
  // Parked dead letters cut down to no key: their sequence cannot be told by key, only by where it waits.
  const keylessCut = new Set<string>();

  for (const letter of input.letters) {
    const source = letter.source;
    if (source && letter.key === null && letter.omitted !== undefined && letter.parkedBehind !== undefined)
      keylessCut.add(placeId(source.topic, source.partition, letter.parkedBehind));
    const park =
      source && letter.key ? parkedBy.get(parkId(source.topic, source.partition, letter.key)) : undefined;
    if (park && belongsTo(letter, park.failedOffset)) {
      const id = parkId(park.topic, park.partition, park.key);
      let sequence = sequences.get(id);
      if (!sequence) sequences.set(id, (sequence = { park, members: [], selected: false }));
      sequence.members.push(letter);
      if (input.selected(letter)) sequence.selected = true;
      continue;
    }
    if (!input.selected(letter)) continue;
    if (!source) noOrigin += 1;
    else if (letter.omitted !== undefined) cut += 1;
    else if (input.redriven.has(deadLetterId(letter))) alreadyRedriven += 1;
    else plain.push(letter);
  }

  const copies: RedriveCopy[] = plain.map((letter) => ({
    target: { topic: letter.source!.topic, partition: letter.source!.partition },
    letter,
    mark: { id: input.id, of: letter.source! },
  }));
  const releases: RedriveRelease[] = [];
  for (const { park, members, selected } of sequences.values()) {
    if (!selected) continue;
    const cutMembers = members.filter((m) => m.omitted !== undefined).length;
    if (cutMembers > 0 || keylessCut.has(placeId(park.topic, park.partition, park.failedOffset))) {
      cut += members.length;
      continue;
    }
    const latest = new Map<bigint, DeadLetter>();
    for (const m of members) latest.set(m.source!.offset, m); // DLQ order: the later one wins
    const ordered = [...latest.values()].sort((a, b) => compare(a.source!.offset, b.source!.offset));
    const through = members.reduce(
      (max, m) => ((m.origin ?? m.source!).offset > max ? (m.origin ?? m.source!).offset : max),
      -1n,
    );
    ordered.forEach((letter, i) => {
      const last = i === ordered.length - 1;
      copies.push({
        target: { topic: park.topic, partition: park.partition },
        letter,
        mark: {
          id: input.id,
          of: letter.source!,
          parked: park.failedOffset,
          ...(last ? { release: { failedOffset: park.failedOffset, through } } : {}),
        },
      });
    });
    releases.push({
      ...park,
      through,
      records: ordered.length,
      missingFailedRecord: !latest.has(park.failedOffset),
    });
  }
  copies.sort(
    (a, b) =>
      a.target.topic.localeCompare(b.target.topic) ||
      a.target.partition - b.target.partition ||
      compare(a.mark.of.offset, b.mark.of.offset),
  );
  return { id: input.id, copies, releases, skipped: { alreadyRedriven, noOrigin, cut } };
}

/** Whether a dead letter of a parked key is part of its sequence behind `failedOffset`. */
function belongsTo(letter: DeadLetter, failedOffset: bigint): boolean {
  return (
    letter.origin?.offset === failedOffset ||
    letter.parkedBehind === failedOffset ||
    letter.redrive?.parked === failedOffset
  );
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
