import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type DeadLetter, toDeadLetter } from './dead-letter';
import { keyTexts, matchesFilter } from './dead-letter-filter';

const h = (key: string, value: string) => ({ key, value: Buffer.from(value) });

function letter(over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    ...toDeadLetter({
      partition: 0,
      offset: 4n,
      timestamp: 1_000,
      key: Buffer.from('k1'),
      value: Buffer.from('v'),
      headers: [
        h('__connect.errors.topic', 'orders'),
        h('__connect.errors.partition', '2'),
        h('__connect.errors.offset', '17'),
        h('__connect.errors.exception.class.name', 'TargetRejectedRowError'),
      ],
    }),
    ...over,
  };
}

describe('dead-letter filters', () => {
  it('matches error class, time range [from, to), original topic, partition and offset', () => {
    const l = letter();
    assert.ok(matchesFilter({}, l));
    assert.ok(matchesFilter({ errorClasses: ['X', 'TargetRejectedRowError'] }, l));
    assert.ok(!matchesFilter({ errorClasses: ['parked'] }, l));
    assert.ok(matchesFilter({ fromTime: 1_000, toTime: 1_001 }, l));
    assert.ok(!matchesFilter({ toTime: 1_000 }, l), 'to is exclusive');
    assert.ok(!matchesFilter({ fromTime: 1_001 }, l));
    assert.ok(matchesFilter({ topic: 'orders', partition: 2, offset: 17n }, l));
    assert.ok(!matchesFilter({ partition: 0 }, l), 'the original partition, not the DLQ one');
    assert.ok(!matchesFilter({ offset: 4n }, l));
  });

  it('matches a key by its text, its Avro JSON, or a one-field key value', () => {
    const texts = keyTexts(Buffer.from([0, 0, 0, 0, 1, 2]), { id: 7 });
    assert.ok(texts.includes('{"id":7}'));
    assert.ok(texts.includes('7'));
    assert.ok(matchesFilter({ key: '7' }, letter(), texts));
    assert.ok(!matchesFilter({ key: '8' }, letter(), texts));
    assert.ok(matchesFilter({ key: 'k1' }, letter(), keyTexts(Buffer.from('k1'), undefined)));
    assert.deepEqual(keyTexts(null, undefined), []);
    assert.equal(keyTexts(Buffer.from('x'), { a: 1, b: 2 }).length, 2, 'no single value for two fields');
  });

  it('reads a record without error headers as class unknown with no origin', () => {
    const l = toDeadLetter({
      partition: 1,
      offset: 0n,
      timestamp: 5,
      key: null,
      value: Buffer.from('x'),
      headers: [h('a', 'b')],
    });
    assert.equal(l.errorClass, 'unknown');
    assert.equal(l.origin, undefined);
    assert.ok(matchesFilter({ errorClasses: ['unknown'] }, l));
    assert.ok(!matchesFilter({ topic: 'orders' }, l));
  });

  it('reads a parked record as class parked, and a redriven copy by the record it stands for', () => {
    const parked = toDeadLetter({
      partition: 2,
      offset: 9n,
      timestamp: 5,
      key: Buffer.from('k'),
      value: null,
      headers: [
        h('__connect.errors.topic', 'orders'),
        h('__connect.errors.partition', '2'),
        h('__connect.errors.offset', '40'),
        h('sluice.errors.parked', '17'),
        h('sluice.redrive.id', 'r'),
        h('sluice.redrive.of', 'orders/2/18'),
        h('sluice.redrive.parked', '17'),
      ],
    });
    assert.equal(parked.errorClass, 'parked');
    assert.equal(parked.parkedBehind, 17n);
    assert.equal(parked.origin?.offset, 40n);
    assert.equal(parked.source?.offset, 18n);
    assert.ok(matchesFilter({ offset: 18n }, parked));
  });
});
