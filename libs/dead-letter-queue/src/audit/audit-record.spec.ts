import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeAuditRecord,
  encodeAuditRecord,
  MalformedAuditRecordError,
  type RedriveAuditRecord,
} from './audit-record';

describe('audit records', () => {
  it('round-trip as JSON keyed by the run id', () => {
    const record: RedriveAuditRecord = {
      kind: 'redrive',
      id: 'r1',
      group: 'g',
      at: '2026-01-01T00:00:00.000Z',
      actor: 'ana',
      filter: { errorClasses: ['X'] },
      count: 1,
      deadLetters: ['0/4'],
      targets: [{ topic: 'in', partition: 0, count: 1 }],
      releases: [],
    };
    const { key, value } = encodeAuditRecord(record);
    assert.equal(key.toString(), 'r1');
    assert.deepEqual(decodeAuditRecord(value, 'g.dlq.audit[0]@0'), record);
  });

  it('refuse records Sluice did not write, naming where', () => {
    for (const bad of [
      null,
      Buffer.from('nope'),
      Buffer.from('{"kind":"other","id":"x"}'),
      Buffer.from('{"kind":"redrive","id":"x"}'),
    ])
      assert.throws(
        () => decodeAuditRecord(bad, 'g.dlq.audit[0]@3'),
        (e: unknown) => e instanceof MalformedAuditRecordError && /g\.dlq\.audit\[0\]@3/.test(e.message),
      );
  });
});
