import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidSchemaError } from '../avro/invalid-schema-error';
import { checkCompatibility } from './check-compatibility';
import { isCompatibilityLevel, type CompatibilityLevel } from './compatibility-level';

/** A record schema `R` with the given fields, as text. */
function rec(fields: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'record', name: 'R', namespace: 'test', ...extra, fields });
}
const f = (name: string, type: unknown, more: Record<string, unknown> = {}) => ({ name, type, ...more });
const one = (type: unknown, more: Record<string, unknown> = {}) => rec([f('a', type, more)]);
const enumOf = (symbols: string[], more: Record<string, unknown> = {}) => ({
  type: 'enum',
  name: 'E',
  symbols,
  ...more,
});
const decimal = (precision: number, scale: number) => ({
  type: 'bytes',
  logicalType: 'decimal',
  precision,
  scale,
});
const list = (extra: unknown[] = []) =>
  rec([f('value', 'int'), f('next', ['null', 'Node'], { default: null }), ...extra], { name: 'Node' });

interface Case {
  readonly name: string;
  readonly level: CompatibilityLevel;
  readonly previous: readonly string[];
  readonly candidate: string;
  readonly compatible: boolean;
  /** For incompatible cases: what one message must say (rule and offending field or path). */
  readonly message?: RegExp;
}

const cases: Case[] = [
  // --- records: adding and removing fields -------------------------------------------------------
  {
    name: 'add a field with a default',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', 'string', { default: 'x' })]),
    compatible: true,
  },
  {
    name: 'add a field without a default',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', 'string')]),
    compatible: false,
    message:
      /READER_FIELD_MISSING_DEFAULT_VALUE.*The field 'b' at path '\/fields\/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'/,
  },
  {
    name: 'remove a field without a default',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int'), f('b', 'string')])],
    candidate: rec([f('a', 'int')]),
    compatible: true,
  },
  {
    name: 'add a field without a default',
    level: 'FORWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', 'string')]),
    compatible: true,
  },
  {
    name: 'remove a field without a default',
    level: 'FORWARD',
    previous: [rec([f('a', 'int'), f('b', 'string')])],
    candidate: rec([f('a', 'int')]),
    compatible: false,
    message:
      /READER_FIELD_MISSING_DEFAULT_VALUE.*The field 'b' at path '\/fields\/1' in the old schema has no default value and is missing in the new schema/,
  },
  {
    name: 'remove a field with a default',
    level: 'FORWARD',
    previous: [rec([f('a', 'int'), f('b', 'string', { default: '' })])],
    candidate: rec([f('a', 'int')]),
    compatible: true,
  },
  {
    name: 'add an optional field',
    level: 'FULL',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', ['null', 'string'], { default: null })]),
    compatible: true,
  },
  {
    name: 'add a field without a default',
    level: 'FULL',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', 'string')]),
    compatible: false,
    message: /READER_FIELD_MISSING_DEFAULT_VALUE.*'b'/,
  },
  {
    name: 'remove a field with a default',
    level: 'FULL',
    previous: [rec([f('a', 'int'), f('b', 'long', { default: 0 })])],
    candidate: rec([f('a', 'int')]),
    compatible: true,
  },
  {
    name: 'remove a field without a default',
    level: 'FULL',
    previous: [rec([f('a', 'int'), f('b', 'long')])],
    candidate: rec([f('a', 'int')]),
    compatible: false,
    message: /in the old schema has no default value.*additionalInfo:'b'/,
  },
  {
    name: 'rename a field without an alias',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('renamed', 'int')]),
    compatible: false,
    message: /READER_FIELD_MISSING_DEFAULT_VALUE.*'renamed'/,
  },
  {
    name: 'rename a field with the old name as alias',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('renamed', 'int', { aliases: ['a'] })]),
    compatible: true,
  },
  {
    name: 'add a field to a nested record without a default',
    level: 'BACKWARD',
    previous: [rec([f('inner', { type: 'record', name: 'I', fields: [f('x', 'int')] })])],
    candidate: rec([f('inner', { type: 'record', name: 'I', fields: [f('x', 'int'), f('y', 'int')] })]),
    compatible: false,
    message: /The field 'y' at path '\/fields\/0\/type\/fields\/1'/,
  },
  // --- primitive promotions ----------------------------------------------------------------------
  {
    name: 'int to long',
    level: 'BACKWARD',
    previous: [one('int')],
    candidate: one('long'),
    compatible: true,
  },
  {
    name: 'int to float',
    level: 'BACKWARD',
    previous: [one('int')],
    candidate: one('float'),
    compatible: true,
  },
  {
    name: 'int to double',
    level: 'BACKWARD',
    previous: [one('int')],
    candidate: one('double'),
    compatible: true,
  },
  {
    name: 'long to float',
    level: 'BACKWARD',
    previous: [one('long')],
    candidate: one('float'),
    compatible: true,
  },
  {
    name: 'long to double',
    level: 'BACKWARD',
    previous: [one('long')],
    candidate: one('double'),
    compatible: true,
  },
  {
    name: 'float to double',
    level: 'BACKWARD',
    previous: [one('float')],
    candidate: one('double'),
    compatible: true,
  },
  {
    name: 'string to bytes',
    level: 'FULL',
    previous: [one('string')],
    candidate: one('bytes'),
    compatible: true,
  },
  {
    name: 'long to int',
    level: 'BACKWARD',
    previous: [one('long')],
    candidate: one('int'),
    compatible: false,
    message:
      /TYPE_MISMATCH.*The type \(path '\/fields\/0\/type'\) of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'/,
  },
  {
    name: 'double to float',
    level: 'BACKWARD',
    previous: [one('double')],
    candidate: one('float'),
    compatible: false,
    message: /reader type: FLOAT not compatible with writer type: DOUBLE/,
  },
  {
    name: 'int to long',
    level: 'FORWARD',
    previous: [one('int')],
    candidate: one('long'),
    compatible: false,
    message:
      /path '\/fields\/0\/type'\) of a field in the old schema does not match with the new schema.*reader type: INT not compatible with writer type: LONG/,
  },
  {
    name: 'int to long',
    level: 'FULL',
    previous: [one('int')],
    candidate: one('long'),
    compatible: false,
    message: /TYPE_MISMATCH/,
  },
  {
    name: 'string to int',
    level: 'BACKWARD',
    previous: [one('string')],
    candidate: one('int'),
    compatible: false,
    message: /reader type: INT not compatible with writer type: STRING/,
  },
  {
    name: 'record to map',
    level: 'BACKWARD',
    previous: [one({ type: 'record', name: 'I', fields: [] })],
    candidate: one({ type: 'map', values: 'int' }),
    compatible: false,
    message: /reader type: MAP not compatible with writer type: RECORD/,
  },
  // --- unions ------------------------------------------------------------------------------------
  {
    name: 'widen string to a nullable string',
    level: 'BACKWARD',
    previous: [one('string')],
    candidate: one(['null', 'string']),
    compatible: true,
  },
  {
    name: 'narrow a nullable string to string',
    level: 'BACKWARD',
    previous: [one(['null', 'string'])],
    candidate: one('string'),
    compatible: false,
    message:
      /TYPE_MISMATCH.*path '\/fields\/0\/type\/0'.*reader type: STRING not compatible with writer type: NULL/,
  },
  {
    name: 'widen string to a nullable string',
    level: 'FORWARD',
    previous: [one('string')],
    candidate: one(['null', 'string']),
    compatible: false,
    message: /writer type: NULL/,
  },
  {
    name: 'remove a union branch',
    level: 'BACKWARD',
    previous: [one(['null', 'string', 'int'])],
    candidate: one(['null', 'string']),
    compatible: false,
    message:
      /MISSING_UNION_BRANCH.*The new schema is missing a type inside a union field at path '\/fields\/0\/type\/2' in the old schema', additionalInfo:'reader union lacking writer type: INT'/,
  },
  {
    name: 'add a union branch',
    level: 'BACKWARD',
    previous: [one(['null', 'string'])],
    candidate: one(['null', 'string', 'int']),
    compatible: true,
  },
  {
    name: 'add a union branch',
    level: 'FORWARD',
    previous: [one(['null', 'string'])],
    candidate: one(['null', 'string', 'int']),
    compatible: false,
    message: /The old schema is missing a type inside a union.*INT/,
  },
  {
    name: 'union branch promoted: reader long reads writer int branch',
    level: 'BACKWARD',
    previous: [one(['null', 'int'])],
    candidate: one(['null', 'long']),
    compatible: true,
  },
  // --- enums -------------------------------------------------------------------------------------
  {
    name: 'add an enum symbol',
    level: 'BACKWARD',
    previous: [one(enumOf(['A', 'B']))],
    candidate: one(enumOf(['A', 'B', 'C'])),
    compatible: true,
  },
  {
    name: 'add an enum symbol',
    level: 'FORWARD',
    previous: [one(enumOf(['A', 'B']))],
    candidate: one(enumOf(['A', 'B', 'C'])),
    compatible: false,
    message:
      /MISSING_ENUM_SYMBOLS.*The old schema is missing enum symbols '\[C\]' at path '\/fields\/0\/type\/symbols' in the new schema/,
  },
  {
    name: 'remove enum symbols',
    level: 'BACKWARD',
    previous: [one(enumOf(['A', 'B', 'C', 'D']))],
    candidate: one(enumOf(['A', 'B'])),
    compatible: false,
    message: /MISSING_ENUM_SYMBOLS.*'\[C, D\]'/,
  },
  {
    name: 'remove an enum symbol when the reader enum has a default',
    level: 'BACKWARD',
    previous: [one(enumOf(['A', 'B', 'C']))],
    candidate: one(enumOf(['A', 'B'], { default: 'A' })),
    compatible: true,
  },
  {
    name: 'add an enum symbol when the old enum has a default',
    level: 'FULL',
    previous: [one(enumOf(['A', 'B'], { default: 'A' }))],
    candidate: one(enumOf(['A', 'B', 'C'], { default: 'A' })),
    compatible: true,
  },
  {
    name: 'enum to string',
    level: 'BACKWARD',
    previous: [one(enumOf(['A']))],
    candidate: one('string'),
    compatible: false,
    message: /reader type: STRING not compatible with writer type: ENUM/,
  },
  // --- named types, fixed ------------------------------------------------------------------------
  {
    name: 'rename the record',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int')], { name: 'S' }),
    compatible: false,
    message:
      /NAME_MISMATCH.*The name of the schema has changed \(path '\/name'\)', additionalInfo:'expected: test.R'/,
  },
  {
    name: 'rename the record with the old name as alias',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int')], { name: 'S', aliases: ['R'] }),
    compatible: true,
  },
  {
    name: 'change only the namespace (names match unqualified)',
    level: 'FULL',
    previous: [rec([f('a', 'int')])],
    candidate: rec([f('a', 'int')], { namespace: 'other' }),
    compatible: true,
  },
  {
    name: 'change a fixed size',
    level: 'BACKWARD',
    previous: [one({ type: 'fixed', name: 'F', size: 4 })],
    candidate: one({ type: 'fixed', name: 'F', size: 8 }),
    compatible: false,
    message:
      /FIXED_SIZE_MISMATCH.*The size of FIXED type field at path '\/fields\/0\/type\/size'.*additionalInfo:'expected: 4, found: 8'/,
  },
  // --- arrays and maps ---------------------------------------------------------------------------
  {
    name: 'array items int to long',
    level: 'BACKWARD',
    previous: [one({ type: 'array', items: 'int' })],
    candidate: one({ type: 'array', items: 'long' }),
    compatible: true,
  },
  {
    name: 'array items long to int',
    level: 'BACKWARD',
    previous: [one({ type: 'array', items: 'long' })],
    candidate: one({ type: 'array', items: 'int' }),
    compatible: false,
    message: /path '\/fields\/0\/type\/items'/,
  },
  {
    name: 'map values string to int',
    level: 'BACKWARD',
    previous: [one({ type: 'map', values: 'string' })],
    candidate: one({ type: 'map', values: 'int' }),
    compatible: false,
    message: /path '\/fields\/0\/type\/values'/,
  },
  // --- recursive types ---------------------------------------------------------------------------
  {
    name: 'recursive list: add a field with a default',
    level: 'FULL',
    previous: [list()],
    candidate: list([f('label', 'string', { default: '' })]),
    compatible: true,
  },
  {
    name: 'recursive list: add a field without a default',
    level: 'BACKWARD',
    previous: [list()],
    candidate: list([f('label', 'string')]),
    compatible: false,
    message: /The field 'label' at path '\/fields\/2'/,
  },
  {
    name: 'recursive list: unchanged',
    level: 'FULL_TRANSITIVE',
    previous: [list(), list()],
    candidate: list(),
    compatible: true,
  },
  // --- logical types -----------------------------------------------------------------------------
  {
    name: 'decimal scale changes',
    level: 'BACKWARD',
    previous: [one(decimal(10, 2))],
    candidate: one(decimal(10, 3)),
    compatible: false,
    message: /TYPE_MISMATCH.*decimal\(10,3\) not compatible with writer type: BYTES decimal\(10,2\)/,
  },
  {
    name: 'decimal precision changes',
    level: 'FORWARD',
    previous: [one(decimal(10, 2))],
    candidate: one(decimal(12, 2)),
    compatible: false,
    message: /TYPE_MISMATCH.*decimal\(10,2\).*decimal\(12,2\)/,
  },
  {
    name: 'decimal unchanged',
    level: 'FULL',
    previous: [one(decimal(10, 2))],
    candidate: one(decimal(10, 2)),
    compatible: true,
  },
  {
    name: 'timestamp-millis to timestamp-micros (underlying long, as Avro/Confluent)',
    level: 'FULL',
    previous: [one({ type: 'long', logicalType: 'timestamp-millis' })],
    candidate: one({ type: 'long', logicalType: 'timestamp-micros' }),
    compatible: true,
  },
  {
    name: 'date to int',
    level: 'FULL',
    previous: [one({ type: 'int', logicalType: 'date' })],
    candidate: one('int'),
    compatible: true,
  },
  {
    name: 'uuid to string',
    level: 'FULL',
    previous: [one({ type: 'string', logicalType: 'uuid' })],
    candidate: one('string'),
    compatible: true,
  },
  {
    name: 'date to timestamp-millis (int to long)',
    level: 'BACKWARD',
    previous: [one({ type: 'int', logicalType: 'date' })],
    candidate: one({ type: 'long', logicalType: 'timestamp-millis' }),
    compatible: true,
  },
  // --- levels and transitivity -------------------------------------------------------------------
  {
    name: 'anything goes',
    level: 'NONE',
    previous: [one('int')],
    candidate: one('string'),
    compatible: true,
  },
  {
    name: 'nothing to compare with',
    level: 'FULL_TRANSITIVE',
    previous: [],
    candidate: one('string'),
    compatible: true,
  },
  // v1 has b:string, v2 dropped it, the candidate brings b back as int with a default.
  {
    name: 'only the newest is checked',
    level: 'BACKWARD',
    previous: [rec([f('a', 'int'), f('b', 'string')]), rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', 'int', { default: 0 })]),
    compatible: true,
  },
  {
    name: 'every previous version is checked',
    level: 'BACKWARD_TRANSITIVE',
    previous: [rec([f('a', 'int'), f('b', 'string')]), rec([f('a', 'int')])],
    candidate: rec([f('a', 'int'), f('b', 'int', { default: 0 })]),
    compatible: false,
    message: /path '\/fields\/1\/type'.*reader type: INT not compatible with writer type: STRING/,
  },
  // v1 requires b, v2 gave it a default, the candidate drops it: v2 can read it, v1 cannot.
  {
    name: 'only the newest is checked',
    level: 'FORWARD',
    previous: [rec([f('a', 'int'), f('b', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 0 })])],
    candidate: rec([f('a', 'int')]),
    compatible: true,
  },
  {
    name: 'every previous version is checked',
    level: 'FORWARD_TRANSITIVE',
    previous: [rec([f('a', 'int'), f('b', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 0 })])],
    candidate: rec([f('a', 'int')]),
    compatible: false,
    message: /The field 'b' at path '\/fields\/1' in the old schema/,
  },
  {
    name: 'only the newest is checked',
    level: 'FULL',
    previous: [rec([f('a', 'int'), f('b', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 0 })])],
    candidate: rec([f('a', 'int')]),
    compatible: true,
  },
  {
    name: 'every previous version is checked',
    level: 'FULL_TRANSITIVE',
    previous: [rec([f('a', 'int'), f('b', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 0 })])],
    candidate: rec([f('a', 'int')]),
    compatible: false,
    message: /READER_FIELD_MISSING_DEFAULT_VALUE.*'b'/,
  },
];

describe('checkCompatibility', () => {
  it(`has a table of at least 40 pairs (${cases.length})`, () => assert.ok(cases.length >= 40));

  for (const c of cases) {
    it(`${c.level}: ${c.name} → ${c.compatible ? 'compatible' : 'incompatible'}`, () => {
      const result = checkCompatibility(c.candidate, c.previous, c.level);
      assert.equal(result.compatible, c.compatible, result.messages.join('\n'));
      if (c.compatible) {
        assert.deepEqual(result.messages, []);
      } else {
        assert.ok(c.message, 'incompatible cases say what the message must contain');
        assert.ok(
          result.messages.some((m) => c.message!.test(m)),
          `no message matches ${c.message}:\n${result.messages.join('\n')}`,
        );
        assert.equal(result.messages.at(-1), `{compatibility: '${c.level}'}`);
      }
    });
  }

  it("appends Confluent's oldSchemaVersion and oldSchema (canonical) entries", () => {
    const old = '{ "type": "record", "name": "R", "fields": [ {"name": "a", "type": {"type": "int"}} ] }';
    const result = checkCompatibility(one('string'), [old], 'BACKWARD', { versions: [7] });
    assert.deepEqual(result.messages.slice(-3), [
      '{oldSchemaVersion: 7}',
      `{oldSchema: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'}`,
      "{compatibility: 'BACKWARD'}",
    ]);
  });

  it('refuses an invalid candidate or previous schema', () => {
    assert.throws(() => checkCompatibility('{"type":"nope"}', [], 'BACKWARD'), InvalidSchemaError);
    assert.throws(() => checkCompatibility(one('int'), ['not json'], 'BACKWARD'), InvalidSchemaError);
  });
});

describe('isCompatibilityLevel', () => {
  it('accepts the seven Confluent levels only', () => {
    for (const level of [
      'NONE',
      'BACKWARD',
      'BACKWARD_TRANSITIVE',
      'FORWARD',
      'FORWARD_TRANSITIVE',
      'FULL',
      'FULL_TRANSITIVE',
    ]) {
      assert.ok(isCompatibilityLevel(level), level);
    }
    for (const other of ['backward', 'FULLY', '', null, 3, undefined])
      assert.ok(!isCompatibilityLevel(other));
  });
});
