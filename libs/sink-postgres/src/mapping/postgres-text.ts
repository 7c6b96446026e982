// Avro values (as @sluice/schema decodes them) → Postgres text input. Each function is the inverse of
// one of source-postgres's conversions (docs/source-postgres-types.md), so a value that travelled
// Postgres → Kafka → Postgres prints the same. Pure; specs beside.

const MICROS_PER_DAY = 86_400_000_000n;
/** Debezium's ±infinity markers for timestamp columns (micros). */
const TIMESTAMP_INFINITY = 9223372036825200000n;
const TIMESTAMP_MINUS_INFINITY = -9223372036832400000n;
/** Sluice's ±infinity markers for date columns (int32 max/min). */
const DATE_INFINITY = 2147483647;
const DATE_MINUS_INFINITY = -2147483648;

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new TypeError(`expected an integer, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return `bytes(${value.length})`;
  if (typeof value === 'bigint') return `${value}n`;
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}

/** Epoch day → `YYYY-MM-DD`, with ` BC` for years before 1 (proleptic Gregorian, as Postgres). */
export function dateText(days: number): string {
  if (days === DATE_INFINITY) return 'infinity';
  if (days === DATE_MINUS_INFINITY) return '-infinity';
  const { date, bc } = dateParts(BigInt(days));
  return bc ? `${date} BC` : date;
}

function dateParts(days: bigint): { date: string; bc: boolean } {
  const d = new Date(Number(days) * 86_400_000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`date ${days} days from epoch is out of range`);
  const year = d.getUTCFullYear();
  const bc = year <= 0;
  return {
    date: `${pad(bc ? 1 - year : year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`,
    bc,
  };
}

/** Micros since midnight (0 … 86 400 000 000, 24:00:00 included) → `HH:MM:SS.ffffff`. */
export function timeOfDayText(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const base = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  return fraction === 0n ? base : `${base}.${pad(fraction, 6)}`;
}

/** Micros since the epoch (no zone) → `YYYY-MM-DD HH:MM:SS.ffffff[ BC]`. */
export function timestampMicrosText(micros: bigint): string {
  if (micros === TIMESTAMP_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_MINUS_INFINITY) return '-infinity';
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const { date, bc } = dateParts(days);
  return `${date} ${timeOfDayText(rest)}${bc ? ' BC' : ''}`;
}

/** Debezium's ZonedTime `11:51:30.123789Z` → timetz input `11:51:30.123789+00`. */
export function zonedTimeText(value: string): string {
  return value.endsWith('Z') ? `${value.slice(0, -1)}+00` : value;
}

/** MicroDuration (micros) → interval input in hours, minutes and seconds (`-26:00:00.5`). */
export function durationText(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  return `${negative ? '-' : ''}${timeOfDayText(magnitude)}`;
}

/** Debezium Bits (little-endian bytes of the bit string read as a binary number) → `101`. */
export function bitsText(bytes: Buffer, length: number): string {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value.toString(2).padStart(length, '0');
}

export function byteaText(bytes: Buffer): string {
  return `\\x${bytes.toString('hex')}`;
}

export function floatText(value: number): string {
  return String(value); // NaN, Infinity, -Infinity are Postgres's own spellings
}

/** Elements (already Postgres text, or null) → an array literal; every element quoted. */
export function arrayText(elements: ReadonlyArray<string | null>): string {
  const parts = elements.map((e) => (e === null ? 'NULL' : `"${e.replace(/[\\"]/g, '\\$&')}"`));
  return `{${parts.join(',')}}`;
}

/** A decoded value as JSON (bigint beyond 2^53 as a string, bytes as `\x…` hex). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')
      return byteaText(Buffer.from((v as { data: number[] }).data));
    return v;
  });
}
