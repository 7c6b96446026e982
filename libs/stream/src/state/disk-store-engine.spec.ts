import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalRecordError } from '@sluice/errors';
import { MAX_DISK_KEY_BYTES, StateKeyTooLongError } from './disk-store-engine';
import { DiskPartition } from './state-directory';

const text = (b: Buffer | undefined) => b?.toString('utf8');

describe('DiskStoreEngine', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-disk-engine-'));
  const partition = new DiskPartition(join(root, 'in-0'));
  after(async () => {
    await partition.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes as one unit: puts, deletes (null), last write of a key wins; get, size and entries read them', () => {
    const engine = partition.engine('writes');
    engine.write([
      ['a', Buffer.from('1')],
      ['b', Buffer.from('2')],
      ['\u0000stream-time', Buffer.from('10')],
    ]);
    engine.write([
      ['a', null],
      ['b', Buffer.from('3')],
      ['b', Buffer.from('4')],
      ['missing', null],
    ]);
    assert.equal(engine.get('a'), undefined);
    assert.equal(text(engine.get('b')), '4');
    assert.equal(text(engine.get('\u0000stream-time')), '10', 'a key with a NUL byte round-trips');
    assert.equal(engine.size, 2);
    assert.deepEqual([...engine.entries()].map(([k, v]) => [k, v.toString()]).sort(), [
      ['\u0000stream-time', '10'],
      ['b', '4'],
    ]);
  });

  it('keeps UTF-8 keys and binary values exactly, and values read earlier stay intact after later reads', () => {
    const engine = partition.engine('bytes');
    const value = Buffer.from([0, 255, 1, 254]);
    engine.write([
      ['w|1700000000000|Zoë', value],
      ['other', Buffer.from('x')],
    ]);
    const first = engine.get('w|1700000000000|Zoë')!;
    engine.get('other');
    assert.deepEqual(first, value);
    assert.deepEqual([...engine.entries()].find(([k]) => k === 'w|1700000000000|Zoë')?.[1], value);
  });

  it('stores are separate databases of one partition environment; clear forgets one store only', () => {
    const one = partition.engine('one');
    const two = partition.engine('two');
    one.write([['k', Buffer.from('1')]]);
    two.write([['k', Buffer.from('2')]]);
    assert.equal(text(one.get('k')), '1');
    assert.equal(text(two.get('k')), '2');
    assert.equal(partition.engine('one'), one, 'one engine per store');
    one.clear();
    assert.equal(one.size, 0);
    assert.equal(text(two.get('k')), '2');
  });

  it('refuses a key longer than LMDB holds with a record error naming the store and the limit', () => {
    const engine = partition.engine('keys');
    assert.doesNotThrow(() => engine.checkKey('k'.repeat(MAX_DISK_KEY_BYTES)));
    assert.throws(
      () => engine.checkKey('é'.repeat(MAX_DISK_KEY_BYTES)),
      (error: unknown) =>
        error instanceof StateKeyTooLongError &&
        error.code === 'STATE_KEY_TOO_LONG' &&
        error.retriable === false &&
        /state store "keys" is kept on disk.*at most 1978 bytes.*3956 bytes/.test(error.message),
    );
  });

  it('refuses an empty key (LMDB holds none), and a delete of a key it cannot hold has nothing to do', () => {
    const engine = partition.engine('edges');
    assert.throws(
      () => engine.checkKey(''),
      (error: unknown) =>
        error instanceof FatalRecordError && (error as FatalRecordError).code === 'STATE_KEY_EMPTY',
    );
    engine.write([['kept', Buffer.from('1')]]);
    engine.write([
      ['', null],
      ['x'.repeat(MAX_DISK_KEY_BYTES + 1), null],
    ]);
    assert.equal(text(engine.get('kept')), '1');
  });

  it('holds more entries than a batch: 20,000 written in slices, read back by key and by scan', () => {
    const engine = partition.engine('many');
    for (let slice = 0; slice < 20; slice++)
      engine.write(
        Array.from({ length: 1000 }, (_, i): [string, Buffer] => [
          `k${slice * 1000 + i}`,
          Buffer.from(String(slice * 1000 + i)),
        ]),
      );
    assert.equal(engine.size, 20_000);
    assert.equal(text(engine.get('k12345')), '12345');
    let sum = 0;
    for (const [, v] of engine.entries()) sum += Number(v.toString());
    assert.equal(sum, (19_999 * 20_000) / 2);
  });
});
