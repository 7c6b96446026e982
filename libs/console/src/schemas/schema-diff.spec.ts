import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffSchemas } from './schema-diff';

const value = (extra: object[] = []) => ({
  type: 'record',
  name: 'Value',
  fields: [{ name: 'id', type: 'long' }, { name: 'total', type: 'double' }, ...extra],
});
const envelope = (extra: object[] = []) =>
  JSON.stringify({
    type: 'record',
    name: 'Envelope',
    fields: [
      { name: 'before', type: ['null', value(extra)], default: null },
      { name: 'after', type: ['null', 'Value'], default: null },
      { name: 'op', type: 'string' },
    ],
  });

describe('schema diff', () => {
  it('names a field added in a nested record, also where the record is used again by name', () => {
    const diff = diffSchemas(
      envelope(),
      envelope([{ name: 'note', type: ['null', 'string'], default: null }]),
    );
    assert.deepEqual(diff.fields, { added: ['before.note', 'after.note'], removed: [], changed: [] });
  });

  it('names removed and changed fields', () => {
    const a = JSON.stringify({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'string' },
      ],
    });
    const b = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }] });
    assert.deepEqual(diffSchemas(a, b).fields, { added: [], removed: ['b'], changed: ['a'] });
  });

  it('lines up both versions side by side: equal lines once, additions on the right only', () => {
    const a = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
    const b = JSON.stringify({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'string' },
      ],
    });
    const { rows } = diffSchemas(a, b);
    const left = rows
      .filter((r) => r.left !== undefined)
      .map((r) => r.left)
      .join('\n');
    const right = rows
      .filter((r) => r.right !== undefined)
      .map((r) => r.right)
      .join('\n');
    assert.equal(left, JSON.stringify(JSON.parse(a), null, 2));
    assert.equal(right, JSON.stringify(JSON.parse(b), null, 2));
    assert.ok(rows.some((r) => r.kind !== 'same' && r.right?.includes('"b"')));
    assert.ok(rows.filter((r) => r.kind === 'same').length >= 5);
  });

  it('equal schemas: every row the same, no field change', () => {
    const diff = diffSchemas(envelope(), envelope());
    assert.ok(diff.rows.every((r) => r.kind === 'same'));
    assert.deepEqual(diff.fields, { added: [], removed: [], changed: [] });
  });
});
