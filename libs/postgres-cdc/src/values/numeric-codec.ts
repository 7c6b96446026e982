import { UnrepresentableValueError } from './unrepresentable-value-error';

const ZERO = Buffer.from([0]);

/** Java's `BigInteger.toByteArray` of a safe integer: big-endian two's complement, minimal. */
function safeIntegerBytes(n: number): Buffer {
  if (n === 0) return ZERO;
  // For a negative n, the bytes of -n-1 inverted: stays in safe range where n + 2^(8k) would not.
  const negative = n < 0;
  let m = negative ? -n - 1 : n;
  const bytes: number[] = [];
  while (m > 0) {
    bytes.push(m % 256);
    m = Math.floor(m / 256);
  }
  if (bytes.length === 0 || bytes[bytes.length - 1] >= 0x80) bytes.push(0);
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[bytes.length - 1 - i];
    out[i] = negative ? ~b & 0xff : b;
  }
  return out;
}

/** Java's `BigInteger.toByteArray`: big-endian two's complement in the fewest bytes. */
export function twosComplementBytes(n: bigint): Buffer {
  if (n >= -9007199254740991n && n <= 9007199254740991n) return safeIntegerBytes(Number(n));
  const negative = n < 0n;
  let hex = (negative ? -n - 1n : n).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex[0], 16) >= 8) hex = `00${hex}`;
  const out = Buffer.from(hex, 'hex');
  if (negative) for (let i = 0; i < out.length; i++) out[i] = ~out[i] & 0xff;
  return out;
}

/** Reads two's-complement bytes back (tests, tools). */
export function bytesToBigInt(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  let n = BigInt(`0x${bytes.toString('hex')}`);
  if (bytes[0] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

function unscaled(digits: string): Buffer {
  // 15 characters (sign included) always fit a double exactly: no BigInt on the common path.
  return digits.length <= 15 ? safeIntegerBytes(Number(digits)) : twosComplementBytes(BigInt(digits));
}

function special(text: string, column: string | undefined): never {
  throw new UnrepresentableValueError(
    `Numeric value ${text} of column ${column ?? '?'} has no Avro decimal form (decimal.handling.mode=precise, as Debezium)`,
    column,
  );
}

/** Splits Postgres numeric text into sign+integer digits and fraction digits. */
function split(text: string, column: string | undefined): [string, string] {
  const c = text.charCodeAt(text.length - 1);
  if (c < 48 || c > 57) special(text, column); // NaN, Infinity, -Infinity
  const dot = text.indexOf('.');
  return dot < 0 ? [text, ''] : [text.slice(0, dot), text.slice(dot + 1)];
}

/** numeric(p,s) text → the unscaled value's bytes at `scale` (Connect Decimal). */
export function decimalToBytes(text: string, scale: number, column?: string): Buffer {
  const [int, frac] = split(text, column);
  if (frac.length === scale) return unscaled(int + frac);
  if (frac.length < scale) return unscaled(int + frac + '0'.repeat(scale - frac.length));
  const cut = frac.slice(scale);
  if (/[1-9]/.test(cut)) {
    throw new UnrepresentableValueError(
      `Numeric value ${text} of column ${column ?? '?'} has more than ${scale} decimals`,
      column,
    );
  }
  return unscaled(int + frac.slice(0, scale));
}

export interface VariableScaleDecimalValue {
  readonly scale: number;
  readonly value: Buffer;
}

/** Unconstrained numeric text → Debezium's VariableScaleDecimal, trailing zeros stripped. */
export function variableScaleDecimal(text: string, column?: string): VariableScaleDecimalValue {
  const [int, frac] = split(text, column);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  return { scale: end, value: unscaled(int + frac.slice(0, end)) };
}

/**
 * money text → decimal bytes at `scale`. The text follows lc_monetary (`$1,234.56`,
 * `-$1,234.56`, `($1,234.56)`); everything but digits, the sign and the point is dropped.
 */
export function moneyToBytes(text: string, scale: number, column?: string): Buffer {
  const plain = moneyToPlain(text, column);
  const dot = plain.indexOf('.');
  if (dot < 0 || plain.length - dot - 1 <= scale) return decimalToBytes(plain, scale, column);
  // More digits than money.fraction.digits: rounded HALF_UP, as Debezium's setScale.
  const negative = plain.startsWith('-');
  const magnitude = BigInt(plain.slice(negative ? 1 : 0, dot) + plain.slice(dot + 1, dot + 1 + scale));
  const rounded = plain.charCodeAt(dot + 1 + scale) >= 53 ? magnitude + 1n : magnitude;
  return twosComplementBytes(negative ? -rounded : rounded);
}

/** Debezium's SpecialValueDecimal names, which decimal.handling.mode=string writes. */
const SPECIAL_NAMES: Readonly<Record<string, string>> = {
  NaN: 'NAN',
  Infinity: 'POSITIVE_INFINITY',
  '-Infinity': 'NEGATIVE_INFINITY',
};

/**
 * numeric text → decimal.handling.mode=string: Postgres's output is already BigDecimal's plain
 * string at the column's scale; NaN and ±Infinity become SpecialValueDecimal's names.
 */
export function numericToString(text: string, scale?: number): string {
  const special = SPECIAL_NAMES[text];
  if (special !== undefined) return special;
  if (scale === undefined || scale < 0) return text;
  // A DEFAULT's literal (`42.5` of a numeric(10,2)) at the column's scale, as BigDecimal.setScale.
  const dot = text.indexOf('.');
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  if (frac.length === scale) return text;
  const int = dot < 0 ? text : text.slice(0, dot);
  if (frac.length < scale) return `${int}.${frac.padEnd(scale, '0')}`;
  if (/[1-9]/.test(frac.slice(scale))) return text;
  return scale === 0 ? int : `${int}.${frac.slice(0, scale)}`;
}

/** numeric text → decimal.handling.mode=double (NaN, Infinity and -Infinity as doubles). */
export function numericToDouble(text: string): number {
  return Number(text);
}

/**
 * money text (lc_monetary: `$1,234.56`, `-$1,234.56`, `($1,234.56)`) → its plain decimal string
 * (decimal.handling.mode=string; Number() of it for double).
 */
export function moneyToPlain(text: string, column?: string): string {
  let negative = false;
  let digits = '';
  let frac: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch >= '0' && ch <= '9') {
      if (frac === undefined) digits += ch;
      else frac += ch;
    } else if (ch === '-' || ch === '(') negative = true;
    else if (ch === '.') frac = '';
  }
  if (digits === '' && frac === undefined) {
    throw new UnrepresentableValueError(
      `Cannot read money value ${JSON.stringify(text)} of column ${column ?? '?'}`,
      column,
    );
  }
  return `${negative ? '-' : ''}${digits.replace(/^0+(?=\d)/, '') || '0'}${frac ? `.${frac}` : ''}`;
}
