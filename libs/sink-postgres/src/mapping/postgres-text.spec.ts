import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  arrayText,
  bitsText,
  dateText,
  durationText,
  timeOfDayText,
  timestampMicrosText,
  zonedTimeText,
} from './postgres-text';

// The inverse of source-postgres's conversions (docs/source-postgres-types.md examples).
describe('Avro values to Postgres text', () => {
  it('dates: epoch days, BC years, infinity markers', () => {
    assert.equal(dateText(17109), '2016-11-04');
    assert.equal(dateText(-1), '1969-12-31');
    assert.equal(dateText(-735160), '0044-03-15 BC');
    assert.equal(dateText(2147483647), 'infinity');
    assert.equal(dateText(-2147483648), '-infinity');
  });

  it('times and timestamps from micros, 24:00:00 and BC included', () => {
    assert.equal(timeOfDayText(49890123000n), '13:51:30.123000');
    assert.equal(timeOfDayText(86400000000n), '24:00:00');
    assert.equal(timestampMicrosText(-1047174587392000n), '1936-10-25 22:10:12.608000');
    assert.equal(timestampMicrosText(-210831897600000001n), '4713-12-31 23:59:59.999999 BC');
    assert.equal(timestampMicrosText(9223372036825200000n), 'infinity');
    assert.equal(timestampMicrosText(-9223372036832400000n), '-infinity');
  });

  it('zoned time and durations', () => {
    assert.equal(zonedTimeText('11:51:30.123789Z'), '11:51:30.123789+00');
    assert.equal(durationText(-93600000000n), '-26:00:00');
    assert.equal(durationText(273906780000n), '76:05:06.780000');
  });

  it('bits from little-endian bytes, padded to the length', () => {
    assert.equal(bitsText(Buffer.from([0x05]), 3), '101');
    assert.equal(bitsText(Buffer.from([0x05]), 8), '00000101');
    assert.equal(bitsText(Buffer.from([0x00, 0x01]), 9), '100000000');
  });

  it('arrays quote every element and escape quotes and backslashes', () => {
    assert.equal(arrayText(['a', null, 'q"u', 'b\\s', '']), '{"a",NULL,"q\\"u","b\\\\s",""}');
  });
});
