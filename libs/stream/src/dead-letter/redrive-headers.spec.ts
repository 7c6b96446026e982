import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type RecordHeader } from './record-headers';
import { readRedriveHeaders, redrivenHeaders, parseRedriveOrigin, REDRIVE_HEADERS } from './redrive-headers';

const h = (key: string, value: string): RecordHeader => ({ key, value: Buffer.from(value) });

describe('redrive headers', () => {
  it('strip the error headers and older redrive headers, keep the rest, and read back', () => {
    const original = [
      h('traceparent', 'tp'),
      h('__connect.errors.topic', 'in'),
      h('sluice.errors.parked', '5'),
      h('sluice.redrive.id', 'old'),
      h('app', 'x'),
    ];
    const mark = {
      id: 'r1',
      of: { topic: 'a/b', partition: 2, offset: 9n },
      parked: 5n,
      release: { failedOffset: 5n, through: 9n },
    };
    const headers = redrivenHeaders(original, mark);
    assert.deepEqual(
      headers.map((x) => x.key),
      ['traceparent', 'app', ...Object.values(REDRIVE_HEADERS)],
    );
    assert.deepEqual(readRedriveHeaders(headers), mark);
  });

  it('a record without redrive headers, or with an unreadable mark, is not a redrive', () => {
    assert.equal(readRedriveHeaders([h('traceparent', 'x')]), undefined);
    assert.equal(readRedriveHeaders([h('sluice.redrive.id', 'r')]), undefined, 'no origin');
    assert.equal(
      readRedriveHeaders([
        h('sluice.redrive.id', 'r'),
        h('sluice.redrive.of', 'in/0/1'),
        h('sluice.redrive.parked', 'x'),
      ]),
      undefined,
      'bad parked offset',
    );
    assert.equal(
      readRedriveHeaders([
        h('sluice.redrive.id', 'r'),
        h('sluice.redrive.of', 'in/0/1'),
        h('sluice.redrive.parked', '1'),
        h('sluice.redrive.release', '1'),
      ]),
      undefined,
      'release without through',
    );
  });

  it('parses origins whose topic holds slashes, refuses others', () => {
    assert.deepEqual(parseRedriveOrigin('x/y/3/40'), { topic: 'x/y', partition: 3, offset: 40n });
    assert.equal(parseRedriveOrigin('x/3'), undefined);
    assert.equal(parseRedriveOrigin('x/-1/3'), undefined);
  });
});
