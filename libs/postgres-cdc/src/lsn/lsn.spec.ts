import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { InvalidLsnError } from './invalid-lsn-error';
import { Lsn } from './lsn';

describe('Lsn', () => {
  it('parses the text form into its 64-bit value', () => {
    assert.equal(Lsn.parse('16/B374D848').toBigInt(), 0x16_b374d848n);
    assert.equal(Lsn.parse('0/0').toBigInt(), 0n);
    assert.equal(Lsn.parse('FFFFFFFF/FFFFFFFF').toBigInt(), 0xffff_ffff_ffff_ffffn);
    assert.equal(Lsn.parse('0/155f8e8').toBigInt(), 0x155f8e8n);
  });

  it('formats as Postgres 18 does (low half zero-padded) and parses its own output', () => {
    assert.equal(Lsn.parse('16/B374D848').toString(), '16/B374D848');
    assert.equal(Lsn.parse('0/155f8e8').toString(), '0/0155F8E8');
    assert.equal(Lsn.fromBigInt(0n).toString(), '0/00000000');
    assert.equal(JSON.stringify({ lsn: Lsn.parse('1/2') }), '{"lsn":"1/00000002"}');
    for (const text of ['16/B374D848', '0/0155F8E8', 'FFFFFFFF/FFFFFFFF']) {
      assert.equal(Lsn.parse(Lsn.parse(text).toString()).toString(), text);
    }
  });

  it('rejects malformed text with an error naming the input', () => {
    for (const bad of [
      '',
      '16',
      '16/',
      '/B374D848',
      '16/B374D848/1',
      'G/0',
      '123456789/0',
      '0/123456789',
      ' 1/2',
      '-1/2',
    ]) {
      assert.throws(
        () => Lsn.parse(bad),
        (error: unknown) =>
          error instanceof InvalidLsnError &&
          error instanceof FatalRecordError &&
          error.code === 'LSN_INVALID' &&
          error.input === bad &&
          error.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
    assert.throws(() => Lsn.parse(undefined as unknown as string), /Not a Postgres LSN: undefined/);
  });

  it('converts from and to bigint, refusing values outside 64 unsigned bits', () => {
    assert.equal(Lsn.fromBigInt(42n).toBigInt(), 42n);
    assert.equal(Lsn.fromBigInt(0n), Lsn.INVALID);
    assert.throws(() => Lsn.fromBigInt(-1n), /Not a Postgres LSN: -1/);
    assert.throws(() => Lsn.fromBigInt(1n << 64n), /Not a Postgres LSN: 18446744073709551616/);
  });

  it('round-trips through 8 big-endian bytes, at an offset too', () => {
    const lsn = Lsn.parse('16/B374D848');
    assert.deepEqual([...lsn.toBuffer()], [0, 0, 0, 0x16, 0xb3, 0x74, 0xd8, 0x48]);
    assert.ok(Lsn.fromBuffer(lsn.toBuffer()).equals(lsn));
    const framed = Buffer.concat([Buffer.from([0xaa, 0xbb]), lsn.toBuffer()]);
    assert.ok(Lsn.fromBuffer(framed, 2).equals(lsn));
    assert.throws(() => Lsn.fromBuffer(Buffer.alloc(7)), /offset 0 of a 7-byte buffer/);
    assert.throws(() => Lsn.fromBuffer(framed, 3), InvalidLsnError);
  });

  it('compares by value', () => {
    const a = Lsn.parse('1/0');
    const b = Lsn.parse('0/FFFFFFFF');
    assert.equal(a.compareTo(b), 1);
    assert.equal(b.compareTo(a), -1);
    assert.equal(a.compareTo(Lsn.parse('1/00000000')), 0);
    assert.ok(a.equals(Lsn.fromBigInt(1n << 32n)));
    assert.ok(b.isBefore(a) && a.isAfter(b) && !a.isBefore(a));
    assert.deepEqual([a, Lsn.INVALID, b].sort((x, y) => x.compareTo(y)).map(String), [
      '0/00000000',
      '0/FFFFFFFF',
      '1/00000000',
    ]);
  });

  it('adds byte offsets across the 32-bit boundary and refuses to leave the range', () => {
    assert.equal(Lsn.parse('0/FFFFFFFF').add(1).toString(), '1/00000000');
    assert.equal(Lsn.parse('1/0').add(-1n).toString(), '0/FFFFFFFF');
    assert.throws(() => Lsn.INVALID.add(-1), /outside 0 \.\. 2\^64-1/);
    assert.throws(() => Lsn.parse('FFFFFFFF/FFFFFFFF').add(1), InvalidLsnError);
    assert.throws(() => Lsn.INVALID.add(1.5), /not an integer/);
  });

  it('knows the invalid position', () => {
    assert.equal(Lsn.INVALID.isValid, false);
    assert.equal(Lsn.parse('0/1').isValid, true);
  });
});
