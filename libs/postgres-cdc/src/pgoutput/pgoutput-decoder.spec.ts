import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import { PgOutputDecodeError } from './pgoutput-decode-error';
import { PgOutputDecoder } from './pgoutput-decoder';
import { type PgOutputMessage, type TupleValue, UNCHANGED_TOAST } from './pgoutput-message';

/** Builds pgoutput messages byte by byte, as Postgres's proto.c writes them. */
class Wire {
  private readonly parts: Buffer[] = [];

  byte(value: number | string): this {
    this.parts.push(Buffer.from([typeof value === 'string' ? value.charCodeAt(0) : value]));
    return this;
  }

  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.parts.push(b);
    return this;
  }

  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    this.parts.push(b);
    return this;
  }

  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.parts.push(b);
    return this;
  }

  lsn(text: string): this {
    this.parts.push(Lsn.parse(text).toBuffer());
    return this;
  }

  cString(text: string): this {
    this.parts.push(Buffer.from(text, 'utf8'), Buffer.from([0]));
    return this;
  }

  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  /** TupleData: null → 'n', UNCHANGED_TOAST → 'u', string → 't', Buffer → 'b'. */
  tuple(values: TupleValue[]): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.byte('n');
      else if (value === UNCHANGED_TOAST) this.byte('u');
      else if (typeof value === 'string')
        this.byte('t').int32(Buffer.byteLength(value)).raw(Buffer.from(value));
      else this.byte('b').int32(value.length).raw(value);
    }
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// 2024-01-02T03:04:05.123456Z as microseconds since 2000-01-01.
const TS_EPOCH_MICROS = 1_704_164_645_123_456n;
const TS_PG = TS_EPOCH_MICROS - 946_684_800_000_000n;

const USERS_OID = 16_384;
const ORDERS_OID = 16_390;

function usersRelation(xid?: number): Buffer {
  const w = new Wire().byte('R');
  if (xid !== undefined) w.int32(xid);
  return w
    .int32(USERS_OID)
    .cString('public')
    .cString('users')
    .byte('d')
    .int16(3)
    .byte(1)
    .cString('id')
    .int32(23)
    .int32(-1)
    .byte(0)
    .cString('name')
    .int32(1043)
    .int32(68)
    .byte(0)
    .cString('bio')
    .int32(25)
    .int32(-1)
    .build();
}

function ordersRelation(): Buffer {
  return new Wire()
    .byte('R')
    .int32(ORDERS_OID)
    .cString('shop')
    .cString('orders')
    .byte('f')
    .int16(1)
    .byte(0)
    .cString('total')
    .int32(1700)
    .int32(655_366)
    .build();
}

function decoderWithUsers(): PgOutputDecoder {
  const decoder = new PgOutputDecoder();
  decoder.decode(usersRelation());
  return decoder;
}

function assertDecodeError(
  fn: () => unknown,
  pattern: RegExp,
  expected: { type?: string; offset: number; code?: string },
) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PgOutputDecodeError, `not a PgOutputDecodeError: ${String(error)}`);
    assert.ok(error instanceof FatalRecordError);
    assert.equal(error.retriable, false);
    assert.match(error.message, pattern);
    assert.equal(error.messageType, expected.type);
    assert.equal(error.offset, expected.offset);
    assert.equal(error.code, expected.code ?? 'PGOUTPUT_DECODE');
    return true;
  });
}

describe('PgOutputDecoder', () => {
  describe('transaction framing', () => {
    it('decodes Begin with its final LSN, commit time and xid', () => {
      const message = new PgOutputDecoder().decode(
        new Wire().byte('B').lsn('16/B374D848').int64(TS_PG).int32(4_000_000_000).build(),
      );
      assert.equal(message.type, 'begin');
      assert.ok(message.type === 'begin');
      assert.equal(message.finalLsn.toString(), '16/B374D848');
      assert.equal(message.commitTime.epochMicros, TS_EPOCH_MICROS);
      assert.equal(message.commitTime.epochMillis, Date.parse('2024-01-02T03:04:05.123Z'));
      assert.equal(message.xid, 4_000_000_000);
    });

    it('decodes Commit', () => {
      const message = new PgOutputDecoder().decode(
        new Wire().byte('C').byte(0).lsn('0/1000').lsn('0/1038').int64(TS_PG).build(),
      );
      assert.ok(message.type === 'commit');
      assert.equal(message.flags, 0);
      assert.equal(message.commitLsn.toString(), '0/00001000');
      assert.equal(message.endLsn.toString(), '0/00001038');
      assert.equal(message.commitTime.epochMicros, TS_EPOCH_MICROS);
    });

    it('decodes Origin', () => {
      const message = new PgOutputDecoder().decode(
        new Wire().byte('O').lsn('1/2').cString('upstream').build(),
      );
      assert.deepEqual(
        { ...message, originLsn: String((message as { originLsn: Lsn }).originLsn) },
        {
          type: 'origin',
          originLsn: '1/00000002',
          name: 'upstream',
        },
      );
    });
  });

  describe('relations and types', () => {
    it('decodes a Relation with columns, type OIDs, typmods, key flags and replica identity, and caches it', () => {
      const decoder = new PgOutputDecoder();
      const message = decoder.decode(usersRelation());
      assert.ok(message.type === 'relation');
      assert.equal(message.xid, undefined);
      assert.deepEqual(message.relation, {
        relationId: USERS_OID,
        schema: 'public',
        table: 'users',
        replicaIdentity: 'default',
        columns: [
          { index: 0, name: 'id', typeOid: 23, typeModifier: -1, isKey: true },
          { index: 1, name: 'name', typeOid: 1043, typeModifier: 68, isKey: false },
          { index: 2, name: 'bio', typeOid: 25, typeModifier: -1, isKey: false },
        ],
      });
      assert.equal(decoder.relations.get(USERS_OID), message.relation);
      assert.equal(decoder.relations.size, 1);
    });

    it('maps the empty namespace to pg_catalog and every replica identity letter', () => {
      const decoder = new PgOutputDecoder();
      for (const [letter, identity] of [
        ['d', 'default'],
        ['n', 'nothing'],
        ['f', 'full'],
        ['i', 'index'],
      ]) {
        const message = decoder.decode(
          new Wire().byte('R').int32(1).cString('').cString('t').byte(letter).int16(0).build(),
        );
        assert.ok(message.type === 'relation');
        assert.equal(message.relation.schema, 'pg_catalog');
        assert.equal(message.relation.replicaIdentity, identity);
      }
    });

    it('replaces a cached relation when it is described again (schema change)', () => {
      const decoder = decoderWithUsers();
      decoder.decode(
        new Wire().byte('R').int32(USERS_OID).cString('public').cString('users').byte('f').int16(0).build(),
      );
      assert.equal(decoder.relations.get(USERS_OID)?.columns.length, 0);
      assert.equal(decoder.relations.get(USERS_OID)?.replicaIdentity, 'full');
    });

    it('decodes a Type message', () => {
      const message = new PgOutputDecoder().decode(
        new Wire().byte('Y').int32(16_500).cString('public').cString('mood').build(),
      );
      assert.deepEqual(message, {
        type: 'type',
        xid: undefined,
        typeOid: 16_500,
        schema: 'public',
        name: 'mood',
      });
    });
  });

  describe('row changes', () => {
    it('decodes an Insert with text, null and binary values, returned with its relation', () => {
      const decoder = decoderWithUsers();
      const message = decoder.decode(
        new Wire()
          .byte('I')
          .int32(USERS_OID)
          .byte('N')
          .tuple(['42', null, Buffer.from([0xde, 0xad])])
          .build(),
      );
      assert.ok(message.type === 'insert');
      assert.equal(message.relation, decoder.relations.get(USERS_OID));
      assert.deepEqual(message.newValues, ['42', null, Buffer.from([0xde, 0xad])]);
    });

    it('decodes multi-byte UTF-8 and empty strings', () => {
      const message = decoderWithUsers().decode(
        new Wire().byte('I').int32(USERS_OID).byte('N').tuple(['1', '', 'Grüße, 世界 🚰']).build(),
      );
      assert.ok(message.type === 'insert');
      assert.deepEqual(message.newValues, ['1', '', 'Grüße, 世界 🚰']);
    });

    it('keeps an unchanged TOASTed value distinct from null', () => {
      const message = decoderWithUsers().decode(
        new Wire().byte('U').int32(USERS_OID).byte('N').tuple(['1', null, UNCHANGED_TOAST]).build(),
      );
      assert.ok(message.type === 'update');
      assert.equal(message.oldKind, null);
      assert.equal(message.oldValues, null);
      assert.equal(message.newValues[1], null);
      assert.equal(message.newValues[2], UNCHANGED_TOAST);
      assert.notEqual(message.newValues[2], null);
    });

    it('decodes an Update with the old key tuple (K)', () => {
      const message = decoderWithUsers().decode(
        new Wire()
          .byte('U')
          .int32(USERS_OID)
          .byte('K')
          .tuple(['1', null, null])
          .byte('N')
          .tuple(['2', 'ann', UNCHANGED_TOAST])
          .build(),
      );
      assert.ok(message.type === 'update');
      assert.equal(message.oldKind, 'key');
      assert.deepEqual(message.oldValues, ['1', null, null]);
      assert.deepEqual(message.newValues, ['2', 'ann', UNCHANGED_TOAST]);
    });

    it('decodes an Update with the full old tuple (O)', () => {
      const message = decoderWithUsers().decode(
        new Wire()
          .byte('U')
          .int32(USERS_OID)
          .byte('O')
          .tuple(['1', 'a', 'x'])
          .byte('N')
          .tuple(['1', 'b', 'x'])
          .build(),
      );
      assert.ok(message.type === 'update');
      assert.equal(message.oldKind, 'full');
      assert.deepEqual(message.oldValues, ['1', 'a', 'x']);
      assert.deepEqual(message.newValues, ['1', 'b', 'x']);
    });

    it('decodes Deletes with a key (K) or a full (O) old tuple', () => {
      const decoder = decoderWithUsers();
      const byKey = decoder.decode(
        new Wire().byte('D').int32(USERS_OID).byte('K').tuple(['7', null, null]).build(),
      );
      assert.ok(byKey.type === 'delete');
      assert.equal(byKey.oldKind, 'key');
      assert.deepEqual(byKey.oldValues, ['7', null, null]);
      const full = decoder.decode(
        new Wire().byte('D').int32(USERS_OID).byte('O').tuple(['7', 'bo', 'x']).build(),
      );
      assert.ok(full.type === 'delete');
      assert.equal(full.oldKind, 'full');
      assert.deepEqual(full.oldValues, ['7', 'bo', 'x']);
    });

    it('decodes a Truncate of several relations with its cascade and restart-identity flags', () => {
      const decoder = decoderWithUsers();
      decoder.decode(ordersRelation());
      for (const [options, cascade, restartIdentity] of [
        [0, false, false],
        [1, true, false],
        [2, false, true],
        [3, true, true],
      ] as const) {
        const message = decoder.decode(
          new Wire().byte('T').int32(2).byte(options).int32(USERS_OID).int32(ORDERS_OID).build(),
        );
        assert.ok(message.type === 'truncate');
        assert.deepEqual(
          message.relations.map((r) => `${r.schema}.${r.table}`),
          ['public.users', 'shop.orders'],
        );
        assert.equal(message.cascade, cascade);
        assert.equal(message.restartIdentity, restartIdentity);
      }
    });
  });

  describe('logical decoding messages', () => {
    it('decodes transactional and non-transactional Messages; the content is a copy', () => {
      const input = new Wire()
        .byte('M')
        .byte(1)
        .lsn('0/ABC')
        .cString('sluice')
        .int32(5)
        .raw(Buffer.from('hello'))
        .build();
      const message = new PgOutputDecoder().decode(input);
      assert.ok(message.type === 'message');
      assert.equal(message.transactional, true);
      assert.equal(message.lsn.toString(), '0/00000ABC');
      assert.equal(message.prefix, 'sluice');
      assert.equal(message.content.toString(), 'hello');
      input.fill(0);
      assert.equal(message.content.toString(), 'hello');
      const plain = new PgOutputDecoder().decode(
        new Wire().byte('M').byte(0).lsn('0/1').cString('p').int32(0).build(),
      );
      assert.ok(plain.type === 'message' && plain.transactional === false && plain.content.length === 0);
    });
  });

  describe('streamed transactions (protocol 2+)', () => {
    it('reads the xid of changes only between Stream Start and Stream Stop', () => {
      const decoder = new PgOutputDecoder();
      const start = decoder.decode(new Wire().byte('S').int32(900).byte(1).build());
      assert.deepEqual(start, { type: 'stream-start', xid: 900, firstSegment: true });
      const relation = decoder.decode(usersRelation(900));
      assert.ok(relation.type === 'relation' && relation.xid === 900);
      const insert = decoder.decode(
        new Wire().byte('I').int32(900).int32(USERS_OID).byte('N').tuple(['1', 'a', null]).build(),
      );
      assert.ok(insert.type === 'insert');
      assert.equal(insert.xid, 900);
      assert.deepEqual(insert.newValues, ['1', 'a', null]);
      const update = decoder.decode(
        new Wire().byte('U').int32(900).int32(USERS_OID).byte('N').tuple(['1', 'b', UNCHANGED_TOAST]).build(),
      );
      assert.ok(update.type === 'update' && update.xid === 900);
      const del = decoder.decode(
        new Wire().byte('D').int32(900).int32(USERS_OID).byte('K').tuple(['1', null, null]).build(),
      );
      assert.ok(del.type === 'delete' && del.xid === 900);
      const truncate = decoder.decode(
        new Wire().byte('T').int32(900).int32(1).byte(0).int32(USERS_OID).build(),
      );
      assert.ok(truncate.type === 'truncate' && truncate.xid === 900 && truncate.relations.length === 1);
      const type = decoder.decode(new Wire().byte('Y').int32(900).int32(1).cString('s').cString('t').build());
      assert.ok(type.type === 'type' && type.xid === 900);
      const msg = decoder.decode(
        new Wire()
          .byte('M')
          .int32(900)
          .byte(1)
          .lsn('0/1')
          .cString('p')
          .int32(1)
          .raw(Buffer.from('x'))
          .build(),
      );
      assert.ok(msg.type === 'message' && msg.xid === 900);
      assert.deepEqual(decoder.decode(new Wire().byte('E').build()), { type: 'stream-stop' });
      const after = decoder.decode(
        new Wire().byte('I').int32(USERS_OID).byte('N').tuple(['2', 'c', null]).build(),
      );
      assert.ok(after.type === 'insert' && after.xid === undefined);
      const next = decoder.decode(new Wire().byte('S').int32(900).byte(0).build());
      assert.ok(next.type === 'stream-start' && next.firstSegment === false);
    });

    it('decodes Stream Commit', () => {
      const message = new PgOutputDecoder().decode(
        new Wire().byte('c').int32(900).byte(0).lsn('0/2000').lsn('0/2040').int64(TS_PG).build(),
      );
      assert.ok(message.type === 'stream-commit');
      assert.equal(message.xid, 900);
      assert.equal(message.commitLsn.toString(), '0/00002000');
      assert.equal(message.endLsn.toString(), '0/00002040');
      assert.equal(message.commitTime.epochMicros, TS_EPOCH_MICROS);
    });

    it('decodes Stream Abort, with the abort LSN and time of parallel streaming (protocol 4)', () => {
      const decoder = new PgOutputDecoder();
      assert.deepEqual(decoder.decode(new Wire().byte('A').int32(900).int32(901).build()), {
        type: 'stream-abort',
        xid: 900,
        subXid: 901,
        abortLsn: undefined,
        abortTime: undefined,
      });
      const v4 = decoder.decode(
        new Wire().byte('A').int32(900).int32(900).lsn('0/3000').int64(TS_PG).build(),
      );
      assert.ok(v4.type === 'stream-abort');
      assert.equal(v4.abortLsn?.toString(), '0/00003000');
      assert.equal(v4.abortTime?.epochMicros, TS_EPOCH_MICROS);
    });
  });

  describe('two-phase commit (protocol 3+)', () => {
    it('decodes Begin Prepare, Prepare, Stream Prepare, Commit Prepared and Rollback Prepared', () => {
      const decoder = new PgOutputDecoder();
      const beginPrepare = decoder.decode(
        new Wire().byte('b').lsn('0/10').lsn('0/20').int64(TS_PG).int32(77).cString('gid-1').build(),
      );
      assert.ok(beginPrepare.type === 'begin-prepare');
      assert.deepEqual(
        [String(beginPrepare.prepareLsn), String(beginPrepare.endLsn), beginPrepare.xid, beginPrepare.gid],
        ['0/00000010', '0/00000020', 77, 'gid-1'],
      );
      for (const [tag, type] of [
        ['P', 'prepare'],
        ['p', 'stream-prepare'],
      ] as const) {
        const prepare = decoder.decode(
          new Wire()
            .byte(tag)
            .byte(0)
            .lsn('0/10')
            .lsn('0/20')
            .int64(TS_PG)
            .int32(77)
            .cString('gid-1')
            .build(),
        );
        assert.ok(prepare.type === type);
        assert.equal(prepare.prepareTime.epochMicros, TS_EPOCH_MICROS);
        assert.equal(prepare.gid, 'gid-1');
      }
      const commit = decoder.decode(
        new Wire().byte('K').byte(0).lsn('0/30').lsn('0/40').int64(TS_PG).int32(77).cString('gid-1').build(),
      );
      assert.ok(commit.type === 'commit-prepared');
      assert.equal(commit.endLsn.toString(), '0/00000040');
      assert.equal(commit.xid, 77);
      const rollback = decoder.decode(
        new Wire()
          .byte('r')
          .byte(0)
          .lsn('0/20')
          .lsn('0/50')
          .int64(TS_PG)
          .int64(TS_PG + 1n)
          .int32(78)
          .cString('gid-2')
          .build(),
      );
      assert.ok(rollback.type === 'rollback-prepared');
      assert.equal(rollback.rollbackEndLsn.toString(), '0/00000050');
      assert.equal(rollback.rollbackTime.epochMicros, TS_EPOCH_MICROS + 1n);
      assert.equal(rollback.gid, 'gid-2');
    });
  });

  describe('decoding in place', () => {
    it('decodes a message at an offset (XLogData payload after its 25-byte header)', () => {
      const payload = new Wire().byte('B').lsn('0/10').int64(TS_PG).int32(5).build();
      const xlogData = Buffer.concat([Buffer.alloc(25, 0x77), payload]);
      const message = new PgOutputDecoder().decode(xlogData, 25);
      assert.ok(message.type === 'begin' && message.xid === 5);
    });
  });

  describe('bad input', () => {
    it('names an unknown message type byte and its offset', () => {
      assertDecodeError(
        () => new PgOutputDecoder().decode(Buffer.from('Xrest')),
        /Unknown pgoutput message type 'X' \(0x58\) at offset 0/,
        { type: undefined, offset: 0, code: 'PGOUTPUT_UNKNOWN_MESSAGE' },
      );
      assertDecodeError(
        () => new PgOutputDecoder().decode(Buffer.from([0, 0, 0, 0x01]), 3),
        /Unknown pgoutput message type \(0x01\) at offset 3/,
        { type: undefined, offset: 3, code: 'PGOUTPUT_UNKNOWN_MESSAGE' },
      );
    });

    it('reports an empty buffer', () => {
      assertDecodeError(
        () => new PgOutputDecoder().decode(Buffer.alloc(0)),
        /the message type needs 1 byte\(s\) at offset 0/,
        {
          offset: 0,
        },
      );
    });

    it('reports a truncated buffer at every possible cut of an Insert', () => {
      const full = new Wire().byte('I').int32(USERS_OID).byte('N').tuple(['42', null, 'some text']).build();
      for (let cut = 1; cut < full.length; cut++) {
        assert.throws(
          () => decoderWithUsers().decode(full.subarray(0, cut)),
          (error: unknown) =>
            error instanceof PgOutputDecodeError &&
            error.messageType === 'I' &&
            /^Truncated pgoutput 'I' message at offset 0: .* at offset \d+, but the buffer ends at \d+$/.test(
              error.message,
            ),
          `cut at ${cut}`,
        );
      }
    });

    it('reports a string without its terminating NUL', () => {
      assertDecodeError(
        () => new PgOutputDecoder().decode(new Wire().byte('O').lsn('0/1').raw(Buffer.from('abc')).build()),
        /origin name at offset 9 has no terminating NUL byte/,
        { type: 'O', offset: 9 },
      );
    });

    it('reports trailing bytes', () => {
      assertDecodeError(
        () => new PgOutputDecoder().decode(new Wire().byte('E').byte(0).build()),
        /1 trailing byte\(s\) after pgoutput 'E' message at offset 0/,
        { type: 'E', offset: 1 },
      );
    });

    it('reports a change for a relation never described', () => {
      assertDecodeError(
        () => new PgOutputDecoder().decode(new Wire().byte('I').int32(999).byte('N').tuple(['1']).build()),
        /refers to relation OID 999, which no Relation message described/,
        { type: 'I', offset: 1, code: 'PGOUTPUT_UNKNOWN_RELATION' },
      );
    });

    it('reports an unknown tuple value kind, naming the column', () => {
      const bad = new Wire()
        .byte('I')
        .int32(USERS_OID)
        .byte('N')
        .int16(3)
        .byte('t')
        .int32(1)
        .raw(Buffer.from('1'))
        .byte('z')
        .build();
      assertDecodeError(
        () => decoderWithUsers().decode(bad),
        /Unknown tuple value type 'z' \(0x7a\) for column name of public.users/,
        {
          type: 'I',
          offset: 14,
        },
      );
    });

    it('reports unexpected tuple markers and column counts that do not match the relation', () => {
      assertDecodeError(
        () =>
          decoderWithUsers().decode(
            new Wire().byte('D').int32(USERS_OID).byte('N').tuple(['1', null, null]).build(),
          ),
        /Unexpected tuple type 'N' \(0x4e\).*expected 'K' or 'O'/,
        { type: 'D', offset: 5 },
      );
      assertDecodeError(
        () => decoderWithUsers().decode(new Wire().byte('U').int32(USERS_OID).byte('X').build()),
        /expected 'K', 'O' or 'N'/,
        { type: 'U', offset: 5 },
      );
      assertDecodeError(
        () => decoderWithUsers().decode(new Wire().byte('I').int32(USERS_OID).byte('N').tuple(['1']).build()),
        /tuple of 1 column\(s\) at offset 6, but relation public.users was described with 3/,
        { type: 'I', offset: 6 },
      );
    });

    it('reports an unknown replica identity', () => {
      assertDecodeError(
        () =>
          new PgOutputDecoder().decode(
            new Wire().byte('R').int32(1).cString('s').cString('t').byte('q').int16(0).build(),
          ),
        /Unknown replica identity 'q' \(0x71\) for relation s.t/,
        { type: 'R', offset: 9 },
      );
    });
  });
});

// Keeps the union exhaustive at compile time: a new message type must be handled here too.
export function describeMessage(message: PgOutputMessage): string {
  switch (message.type) {
    case 'begin':
    case 'commit':
    case 'origin':
    case 'relation':
    case 'type':
    case 'insert':
    case 'update':
    case 'delete':
    case 'truncate':
    case 'message':
    case 'stream-start':
    case 'stream-stop':
    case 'stream-commit':
    case 'stream-abort':
    case 'begin-prepare':
    case 'prepare':
    case 'stream-prepare':
    case 'commit-prepared':
    case 'rollback-prepared':
      return message.type;
  }
}
