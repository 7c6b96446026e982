import { SluiceError } from '@sluice/errors';

/** A value of the cursor field as the API wrote it: an ISO-8601 time or a number. */
export type MarkValue = string | number;

/** A position in the API's order: the cursor field's value, and the tie-breaker's for equal ones. */
export interface Mark {
  readonly value: MarkValue;
  readonly id?: MarkValue | null;
}

/** Where the next page of a poll under way is: a URL (next-link, Link), a page, an offset or a token. */
export type PagePointer =
  | { readonly url: string }
  | { readonly page: number }
  | { readonly offset: number }
  | { readonly token: string };

/**
 * A stream's committed position, the value of its record in the offsets topic (JSON). Written in
 * the same Kafka transaction as the records of the page it follows, so after any crash the records
 * and the cursor agree: nothing is repeated, nothing skipped.
 */
export interface PollCursor {
  /** The high-water mark: the largest (field, tie-breaker) published. */
  readonly mark?: Mark;
  /**
   * Where the next poll asks from when that is before the mark: the start of the poll that moved
   * the mark (see `nextPollStart`). Absent: from the mark.
   */
  readonly from?: Mark;
  /** The last answer's validators, sent back as If-None-Match / If-Modified-Since. */
  readonly etag?: string;
  readonly lastModified?: string;
  /**
   * Versions published of the items the next poll may list again (those at or above the mark less
   * the look-back; every item when there is no cursor field): key → [version, comparable mark].
   */
  readonly seen: Readonly<Record<string, readonly [string, number | null]>>;
  /**
   * A poll stopped between pages: where it asked from, the next page, the largest mark published
   * and listed so far, and when (epoch ms, this process's clock) the poll first started.
   */
  readonly run?: {
    readonly since?: Mark;
    readonly next: PagePointer;
    readonly max?: Mark;
    readonly reach?: Mark;
    readonly startedAt?: number;
  };
}

export const EMPTY_CURSOR: PollCursor = { seen: {} };

/** A stored cursor this version cannot read: starting over from it would publish everything again. */
export class MalformedCursorError extends SluiceError {
  readonly code = 'OFFSETS_UNREADABLE';
  readonly retriable = false;
}

/** A cursor read back from the offsets topic, checked; `where` names its record in the error. */
export function storedCursor(value: unknown, where: string): PollCursor {
  const problem = cursorProblem(value);
  if (problem !== undefined)
    throw new MalformedCursorError(
      `the cursor ${where} is not one this version writes (${problem}): correct it, or write a ` +
        'tombstone for its key to start the stream over (publishing every item again), and restart',
    );
  return { ...EMPTY_CURSOR, ...(value as PollCursor) };
}

function cursorProblem(value: unknown): string | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const isMark = (m: unknown) => isObject(m) && (typeof m.value === 'string' || typeof m.value === 'number');
  if (!isObject(value)) return 'not a JSON object';
  for (const field of ['mark', 'from'])
    if (value[field] !== undefined && !isMark(value[field])) return `${field} is not {value, id}`;
  for (const field of ['etag', 'lastModified'])
    if (value[field] !== undefined && typeof value[field] !== 'string') return `${field} is not text`;
  const seen = value.seen;
  if (
    seen !== undefined &&
    !(
      isObject(seen) &&
      Object.values(seen).every(
        (e) =>
          Array.isArray(e) &&
          e.length === 2 &&
          typeof e[0] === 'string' &&
          (e[1] === null || typeof e[1] === 'number'),
      )
    )
  )
    return 'seen is not {key: [version, mark]}';
  const run = value.run;
  if (run !== undefined) {
    if (!isObject(run) || !isObject(run.next)) return 'run is not {next, ...}';
    for (const field of ['since', 'max', 'reach'])
      if (run[field] !== undefined && !isMark(run[field])) return `run.${field} is not {value, id}`;
  }
  return undefined;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** A mark value as a number that orders as the API does: epoch ms for times, the number itself otherwise. */
export function comparable(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') {
    if (NUMERIC.test(value)) return Number(value);
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return null;
}

/** Orders two marks: by value, then by tie-breaker (numbers as numbers, else as text). */
export function compareMarks(a: Mark, b: Mark): number {
  const byValue = (comparable(a.value) ?? 0) - (comparable(b.value) ?? 0);
  if (byValue !== 0) return Math.sign(byValue);
  const [x, y] = [a.id ?? null, b.id ?? null];
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
  return String(x) < String(y) ? -1 : 1;
}

/**
 * The value a poll asks from: the mark less the look-back, written as the API writes it (an ISO
 * time stays ISO, epoch seconds or ms stay numbers of the same kind).
 */
export function sinceValue(
  mark: Mark | undefined,
  lookbackSeconds: number,
  initial?: string,
): MarkValue | null {
  if (!mark) return initial ?? null;
  if (lookbackSeconds === 0) return mark.value;
  const n = comparable(mark.value);
  if (n === null) return mark.value;
  if (typeof mark.value === 'number' || NUMERIC.test(String(mark.value))) {
    // Epoch milliseconds are 13 digits today; seconds 10.
    const back = Math.abs(n) > 1e11 ? lookbackSeconds * 1000 : lookbackSeconds;
    return typeof mark.value === 'number' ? n - back : String(n - back);
  }
  return new Date(n - lookbackSeconds * 1000).toISOString();
}

/** A number further than this from the clock is not a time (a sequence, a version): never capped. */
const TIME_WINDOW_MS = 366 * 24 * 3600 * 1000;

/**
 * Where the poll after a walk that reached `max` asks from: `max`, or the walk's start if that is
 * earlier. An item changed while the walk was at the head of the listing sorts behind the walk's
 * position (the same second, a lower tie-breaker) and the walk carries its maximum on past it;
 * asking from the walk's start (less the look-back) lists it again however long the walk took,
 * where the maximum less the look-back would not once the walk outlasts the look-back. Only time
 * marks (ISO-8601, epoch seconds or milliseconds near the clock) are capped; the start is written
 * as the API writes the mark (whole seconds when it does), without a tie-breaker.
 */
export function nextPollStart(max: Mark | undefined, walkStartedAt: number): Mark | undefined {
  if (!max) return undefined;
  const n = comparable(max.value);
  if (n === null) return max;
  if (typeof max.value === 'string' && !NUMERIC.test(max.value)) {
    // Whole seconds when the API writes them: an item changed in the start's second sorts at its start.
    const start = /T[\d:]+(Z|[+-])/.test(max.value) ? Math.floor(walkStartedAt / 1000) * 1000 : walkStartedAt;
    return n > start ? { value: new Date(start).toISOString(), id: null } : max;
  }
  const ms = Math.abs(n - walkStartedAt) <= TIME_WINDOW_MS;
  const seconds = Math.abs(n * 1000 - walkStartedAt) <= TIME_WINDOW_MS;
  if (!ms && !seconds) return max;
  const start = ms ? walkStartedAt : Math.floor(walkStartedAt / 1000);
  if (n <= start) return max;
  return { value: typeof max.value === 'number' ? start : String(start), id: null };
}

/** The lowest comparable mark the next poll can return again: what `seen` must remember. */
export function overlapFloor(mark: Mark | undefined, lookbackSeconds: number): number | null {
  if (!mark) return null;
  const since = sinceValue(mark, lookbackSeconds);
  return comparable(since);
}
