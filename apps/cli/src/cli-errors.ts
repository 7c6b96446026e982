import { parseRangeInstant } from '@sluice/kafka';

/** A wrong command line: exit code 2, like commander's own usage errors. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/**
 * A commander argument parser for an http(s) URL flag (trailing slashes dropped): a bad value is a
 * usage error naming the flag.
 */
export function httpUrl(flag: string): (value: string) => string {
  return (value) => {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    throw new UsageError(`${flag} expects an http(s) URL, got '${value}'`);
  };
}

/**
 * A commander argument parser for a whole-number flag within [min, max]: a bad value is a usage
 * error naming the flag and the range.
 */
export function wholeNumberArg(
  flag: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new UsageError(
        max === Number.MAX_SAFE_INTEGER
          ? `${flag} expects a whole number of at least ${min}, got '${value}'`
          : `${flag} expects a whole number from ${min} to ${max}, got '${value}'`,
      );
    return n;
  };
}

/**
 * A commander argument parser for a time flag: ISO-8601 (`2026-01-31T12:00:00Z`, or a date) or
 * milliseconds since the epoch, answered as epoch milliseconds; anything else is a usage error
 * naming the flag.
 */
export function timeArg(flag: string): (value: string) => number {
  return (value) => {
    const ms = parseRangeInstant(value);
    if (ms === undefined)
      throw new UsageError(
        `${flag} expects an ISO-8601 time (2026-01-31T12:00:00Z) or ms since the epoch, got '${value}'`,
      );
    return ms;
  };
}
