import { lastHeaderText, type RecordHeader, type RecordHeaders } from './record-headers';

/**
 * Headers of a redriven record (`sluice dlq redrive`): a copy of a dead letter published back to
 * its original topic and partition. They tell consumers it is a redrive, and tell the runtime which
 * parked sequence it replays and where that sequence ends.
 */
export const REDRIVE_HEADERS = {
  /** The redrive run (a UUID); also the key of its audit record. */
  id: 'sluice.redrive.id',
  /** The original record: `<topic>/<partition>/<offset>`. */
  of: 'sluice.redrive.of',
  /** On copies of a parked key's sequence: the failed offset the key is parked behind. */
  parked: 'sluice.redrive.parked',
  /** On the last copy of that sequence: the failed offset whose park it releases once processed. */
  release: 'sluice.redrive.release',
  /** With `release`: the highest original offset of the key the redrive included. */
  through: 'sluice.redrive.through',
} as const;

const REDRIVE_PREFIX = 'sluice.redrive.';
const ERROR_PREFIXES = ['__connect.errors.', 'sluice.errors.', REDRIVE_PREFIX];

/** Where a redriven copy comes from. */
export interface RedriveOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** What the redrive headers of a record say. */
export interface RedriveMark {
  readonly id: string;
  readonly of: RedriveOrigin;
  /** The parked sequence it belongs to (the key's failed offset). */
  readonly parked?: bigint;
  /** On the sequence's last copy: release the park behind `failedOffset` if nothing above `through` was parked. */
  readonly release?: { readonly failedOffset: bigint; readonly through: bigint };
}

const text = (key: string, value: string): RecordHeader => ({ key, value: Buffer.from(value, 'utf8') });

/** `<topic>/<partition>/<offset>`; the topic may hold slashes, so it is split from the right. */
export function formatRedriveOrigin(origin: RedriveOrigin): string {
  return `${origin.topic}/${origin.partition}/${origin.offset}`;
}

export function parseRedriveOrigin(value: string): RedriveOrigin | undefined {
  const match = /^(.+)\/(\d+)\/(\d+)$/.exec(value);
  if (!match) return undefined;
  return { topic: match[1]!, partition: Number(match[2]), offset: BigInt(match[3]!) };
}

/** The headers of a redriven copy: the original's own headers (error and older redrive headers removed), then the mark. */
export function redrivenHeaders(original: RecordHeaders, mark: RedriveMark): RecordHeader[] {
  const kept = original.filter((h) => !ERROR_PREFIXES.some((p) => h.key.startsWith(p)));
  const H = REDRIVE_HEADERS;
  kept.push(text(H.id, mark.id), text(H.of, formatRedriveOrigin(mark.of)));
  if (mark.parked !== undefined) kept.push(text(H.parked, String(mark.parked)));
  if (mark.release) {
    kept.push(
      text(H.release, String(mark.release.failedOffset)),
      text(H.through, String(mark.release.through)),
    );
  }
  return kept;
}

const offsetOf = (value: string | undefined): bigint | undefined =>
  value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;

/**
 * Reads the redrive headers; undefined when the record is not a redrive or its mark is not
 * readable (a half-readable mark is not trusted: such a record is treated as any other, e.g. parked).
 */
export function readRedriveHeaders(headers: RecordHeaders): RedriveMark | undefined {
  const H = REDRIVE_HEADERS;
  if (!headers.some((h) => h.key.startsWith(REDRIVE_PREFIX))) return undefined; // the hot path
  const id = lastHeaderText(headers, H.id);
  const ofText = lastHeaderText(headers, H.of);
  const of = ofText === undefined ? undefined : parseRedriveOrigin(ofText);
  if (!id || !of) return undefined;
  const parkedText = lastHeaderText(headers, H.parked);
  const parked = offsetOf(parkedText);
  const releaseText = lastHeaderText(headers, H.release);
  const release = offsetOf(releaseText);
  const through = offsetOf(lastHeaderText(headers, H.through));
  if (
    (parkedText !== undefined && parked === undefined) ||
    (releaseText !== undefined && release === undefined)
  )
    return undefined;
  if (release !== undefined && (through === undefined || release !== parked)) return undefined;
  return {
    id,
    of,
    ...(parked !== undefined ? { parked } : {}),
    ...(release !== undefined ? { release: { failedOffset: release, through: through! } } : {}),
  };
}
