/** A wrong command line: exit code 2, like commander's own usage errors. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A commander argument parser for an http(s) URL flag: a bad value is a usage error naming the flag. */
export function httpUrl(flag: string): (value: string) => string {
  return (value) => {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value;
    } catch {
      // reported below
    }
    throw new UsageError(`${flag} expects an http(s) URL, got '${value}'`);
  };
}
