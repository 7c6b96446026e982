import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';

/** Asserts that `run` throws a ConfigError at `path` whose message matches `message`. */
export function assertConfigError(run: () => unknown, path: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    assert.equal(error.path, path, error.message);
    assert.match(error.message, message);
    return true;
  });
}
