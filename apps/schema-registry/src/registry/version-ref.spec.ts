import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../errors/registry-error';
import { parseVersionRef } from './version-ref';

describe('parseVersionRef', () => {
  it('reads numbers, latest and -1', () => {
    assert.equal(parseVersionRef('1'), 1);
    assert.equal(parseVersionRef('2147483647'), 2147483647);
    assert.equal(parseVersionRef('latest'), 'latest');
    assert.equal(parseVersionRef('-1'), 'latest');
  });

  it('refuses everything else with 42202', () => {
    for (const bad of ['0', '-2', '2147483648', 'abc', '1.5', '', ' 1', 'LATEST']) {
      assert.throws(
        () => parseVersionRef(bad),
        (err: unknown) => err instanceof RegistryError && err.errorCode === 42202 && err.httpStatus === 422,
        bad,
      );
    }
  });
});
