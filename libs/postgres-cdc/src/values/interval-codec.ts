import { UnrepresentableValueError } from './unrepresentable-value-error';
import { toLong } from './temporal-codec';

/** Debezium's MicroDuration.DAYS_PER_MONTH_AVG: a month is 365.25 / 12 days. */
const DAYS_PER_MONTH = 365.25 / 12;

function bad(text: string): never {
  throw new UnrepresentableValueError(
    `Cannot read interval value ${JSON.stringify(text)} (expected IntervalStyle postgres output)`,
    undefined,
  );
}

/** An interval's fields as pgjdbc's PGInterval holds them (seconds with their fraction). */
interface IntervalParts {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

/**
 * interval text (IntervalStyle `postgres`: `1 year 2 mons -3 days -04:05:06.78`) → microseconds,
 * computed exactly as Debezium's MicroDuration.durationMicros (doubles, a month = 30.4375 days,
 * truncated toward zero) so values match Debezium bit for bit.
 */
export function parseIntervalMicros(text: string): number | bigint {
  const { years, months, days, hours, minutes, seconds } = parseIntervalParts(text);
  const numberOfDays = (years * 12 + months) * DAYS_PER_MONTH + days;
  const numberOfSeconds = ((numberOfDays * 24 + hours) * 60 + minutes) * 60 + seconds;
  const micros = Math.trunc(numberOfSeconds * 1e6);
  return Number.isSafeInteger(micros) ? micros : toLong(clampLong(micros));
}

/**
 * interval text → interval.handling.mode=string: Debezium's Interval.toIsoString,
 * `P<years>Y<months>M<days>DT<hours>H<minutes>M<seconds>S`, each field signed as Postgres gives it,
 * the seconds a plain decimal without trailing zeros (`P1Y2M-3DT-4H-5M-6.78S`, `P0Y0M0DT0H0M0S`).
 */
export function parseIntervalIso(text: string): string {
  const { years, months, days, hours, minutes, seconds } = parseIntervalParts(text);
  return `P${years}Y${months}M${days}DT${hours}H${minutes}M${plainSeconds(seconds)}S`;
}

/** BigDecimal.valueOf(seconds) cut to 9 decimals, stripTrailingZeros().toPlainString(). */
function plainSeconds(seconds: number): string {
  if (seconds === 0) return '0';
  const fixed = seconds.toFixed(9).replace(/\.?0+$/, '');
  return fixed === '-0' ? '0' : fixed;
}

function parseIntervalParts(text: string): IntervalParts {
  let years = 0;
  let months = 0;
  let days = 0;
  let hours = 0;
  let minutes = 0;
  let seconds = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (text.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    let j = text.indexOf(' ', i);
    if (j < 0) j = n;
    const token = text.slice(i, j);
    if (token.indexOf(':') >= 0) {
      const negative = token.charCodeAt(0) === 45;
      const start = negative || token.charCodeAt(0) === 43 ? 1 : 0;
      const parts = token.slice(start).split(':');
      if (parts.length !== 3) bad(text);
      const sign = negative ? -1 : 1;
      hours = sign * Number(parts[0]);
      minutes = sign * Number(parts[1]);
      const dot = parts[2].indexOf('.');
      const whole = Number(dot < 0 ? parts[2] : parts[2].slice(0, dot));
      const micros =
        dot < 0
          ? 0
          : Number(
              parts[2]
                .slice(dot + 1)
                .padEnd(6, '0')
                .slice(0, 6),
            );
      // pgjdbc's PGInterval keeps whole seconds and microseconds; getSeconds() adds them as doubles.
      seconds = sign * whole + (sign * micros) / 1e6;
      i = j;
      continue;
    }
    const value = Number(token);
    let k = j + 1;
    let u = text.indexOf(' ', k);
    if (u < 0) u = n;
    const unit = text.slice(k, u);
    if (!Number.isFinite(value) || unit === '') bad(text);
    if (unit.startsWith('year')) years = value;
    else if (unit.startsWith('mon')) months = value;
    else if (unit.startsWith('day')) days = value;
    else bad(text);
    k = u;
    i = k;
  }
  return { years, months, days, hours, minutes, seconds };
}

function clampLong(x: number): bigint {
  const max = 2n ** 63n - 1n;
  const min = -(2n ** 63n);
  if (x >= 9.223372036854776e18) return max;
  if (x <= -9.223372036854776e18) return min;
  return BigInt(x);
}
