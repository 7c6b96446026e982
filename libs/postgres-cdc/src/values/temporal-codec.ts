// Postgres date/time text output (DateStyle ISO, the default and what pgoutput's walsender uses)
// to Debezium's values. Integer arithmetic on the characters, no Date objects and no regexes: the
// proleptic Gregorian calendar, as Postgres and Java's java.time both use.
import { UnrepresentableValueError } from './unrepresentable-value-error';

export const MICROS_PER_DAY = 86_400_000_000;
/** Debezium's io.debezium.time.Date for 'infinity' / '-infinity' (its LocalDate markers, as int). */
export const DATE_POSITIVE_INFINITY = 2_147_483_647;
export const DATE_NEGATIVE_INFINITY = -2_147_483_648;
/** pgjdbc's PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY: Debezium's MicroTimestamp for ±infinity. */
export const TIMESTAMP_POSITIVE_INFINITY_MICROS = 9_223_372_036_825_200_000n;
export const TIMESTAMP_NEGATIVE_INFINITY_MICROS = -9_223_372_036_832_400_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The inverse of `daysFromCivil`. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function bad(kind: string, text: string): never {
  throw new UnrepresentableValueError(
    `Cannot read ${kind} value ${JSON.stringify(text)} (expected Postgres ISO output)`,
    undefined,
  );
}

function digitsAt(text: string, from: number, count: number, kind: string): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) bad(kind, text);
    n = n * 10 + c;
  }
  return n;
}

const isBc = (text: string): boolean => text.endsWith(' BC');

/** `YYYY-MM-DD` (4+ digit year) starting the text → [days since epoch, index after the date]. */
function readDate(text: string, kind: string): [number, number] {
  const dash = text.indexOf('-', 4);
  if (dash < 4) bad(kind, text);
  let year = digitsAt(text, 0, dash, kind);
  if (isBc(text)) year = 1 - year;
  return [
    daysFromCivil(year, digitsAt(text, dash + 1, 2, kind), digitsAt(text, dash + 4, 2, kind)),
    dash + 6,
  ];
}

/** `HH:MM:SS[.ffffff]` at `from` → [microseconds of day, index after]. 24:00:00 is allowed. */
function readTime(text: string, from: number, kind: string): [number, number] {
  const h = digitsAt(text, from, 2, kind);
  const m = digitsAt(text, from + 3, 2, kind);
  const s = digitsAt(text, from + 6, 2, kind);
  let i = from + 8;
  let micros = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    let scale = 100_000;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      micros += c * scale;
      scale /= 10;
    }
  }
  return [((h * 60 + m) * 60 + s) * 1_000_000 + micros, i];
}

/** date → days since epoch; ±infinity → Debezium's int markers. */
export function parseDate(text: string): number {
  if (text === 'infinity') return DATE_POSITIVE_INFINITY;
  if (text === '-infinity') return DATE_NEGATIVE_INFINITY;
  return readDate(text, 'date')[0];
}

/** time → microseconds since midnight (24:00:00 → 86 400 000 000). */
export function parseTimeMicros(text: string): number {
  return readTime(text, 0, 'time')[0];
}

/** A long as Sluice writes it: a number while safe, else a bigint (see @sluice/schema's long). */
export function toLong(n: number | bigint): number | bigint {
  if (typeof n === 'bigint') return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
  return n;
}

/** timestamp (without time zone) → microseconds since epoch, as if UTC. */
export function parseTimestampMicros(text: string): number | bigint {
  if (text === 'infinity') return TIMESTAMP_POSITIVE_INFINITY_MICROS;
  if (text === '-infinity') return TIMESTAMP_NEGATIVE_INFINITY_MICROS;
  const [days, at] = readDate(text, 'timestamp');
  const [micros] = readTime(text, at + 1, 'timestamp');
  // |days| < 100 000 (years 1696-2243) keeps days * 86 400 000 000 a safe integer.
  if (days > -100_000 && days < 100_000) return days * MICROS_PER_DAY + micros;
  return toLong(BigInt(days) * BigInt(MICROS_PER_DAY) + BigInt(micros));
}

/** timestamp → milliseconds since epoch (Debezium's io.debezium.time.Timestamp, precision ≤ 3). */
export function parseTimestampMillis(text: string): number | bigint {
  const micros = parseTimestampMicros(text);
  if (typeof micros === 'number') return Math.floor(micros / 1000);
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  return toLong(ms);
}

/** Offset `+HH[:MM[:SS]]` at `from` → seconds east of UTC and the index after it. */
function readOffset(text: string, from: number, kind: string): [number, number] {
  const sign = text.charCodeAt(from) === 45 ? -1 : 1;
  if (sign === 1 && text.charCodeAt(from) !== 43) bad(kind, text);
  let seconds = digitsAt(text, from + 1, 2, kind) * 3600;
  let i = from + 3;
  if (text.charCodeAt(i) === 58) {
    seconds += digitsAt(text, i + 1, 2, kind) * 60;
    i += 3;
    if (text.charCodeAt(i) === 58) {
      seconds += digitsAt(text, i + 1, 2, kind);
      i += 3;
    }
  }
  return [sign * seconds, i];
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** Java's ISO year: 4 digits, '+' beyond 9999, '-' before year 0. */
function isoYear(year: number): string {
  if (year > 9999) return `+${year}`;
  if (year < 0) return `-${String(-year).padStart(4, '0')}`;
  return String(year).padStart(4, '0');
}

/** Fraction of a second as java.time prints it: `width` digits, or the shortest (0 = none). */
function fraction(micros: number, width: number): string {
  if (width > 0) return `.${String(micros).padStart(6, '0').slice(0, width)}`;
  if (micros === 0) return '';
  let s = String(micros).padStart(6, '0');
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  s = s.slice(0, end);
  return `.${s}`;
}

function clock(microsOfDay: number, width: number): string {
  const micros = microsOfDay % 1_000_000;
  const secs = (microsOfDay - micros) / 1_000_000;
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return `${pad2(h)}:${pad2(m)}:${pad2(secs % 60)}${fraction(micros, width)}`;
}

/**
 * timestamptz → ISO-8601 in UTC, `width` fraction digits (Debezium pads to the column's precision,
 * 6 by default; 0 prints the shortest). ±infinity stay the strings 'infinity' and '-infinity'.
 */
export function formatTimestampTz(text: string, width: number): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const [days, at] = readDate(text, 'timestamptz');
  const [micros, end] = readTime(text, at + 1, 'timestamptz');
  const [offset] = readOffset(text, end, 'timestamptz');
  const microsOfSecond = micros % 1_000_000;
  const utcSeconds = days * 86_400 + (micros - microsOfSecond) / 1_000_000 - offset;
  const utcDays = Math.floor(utcSeconds / 86_400);
  const [y, mo, d] = civilFromDays(utcDays);
  const sod = utcSeconds - utcDays * 86_400;
  return `${isoYear(y)}-${pad2(mo)}-${pad2(d)}T${clock(sod * 1_000_000 + microsOfSecond, width)}Z`;
}

/**
 * timetz → UTC time `HH:MM:SS[.f]Z` (Debezium's ZonedTime). The end of the day wraps round as
 * java.time's OffsetTime does: `24:00:00+00` → `00:00:00Z` (what Debezium writes).
 */
export function formatTimeTz(text: string): string {
  const [micros, end] = readTime(text, 0, 'timetz');
  const [offset] = readOffset(text, end, 'timetz');
  let utc = (micros - offset * 1_000_000) % MICROS_PER_DAY;
  if (utc < 0) utc += MICROS_PER_DAY;
  return `${clock(utc, 0)}Z`;
}
