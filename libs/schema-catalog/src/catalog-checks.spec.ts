import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@sluice/errors';
import { checkCatalog } from './catalog-checks';
import { loadSchemaCatalog } from './schema-catalog';

const record = (fields: object[]) =>
  JSON.stringify({ type: 'record', name: 'Thing', namespace: 'test', fields });
const id = { name: 'id', type: 'string' };

function catalog(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-schemas-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('loadSchemaCatalog', () => {
  it('reads subjects with ordered versions and their compatibility level', () => {
    const dir = catalog({
      'b-value/v2.avsc': record([id, { name: 'n', type: 'int', default: 0 }]),
      'b-value/v1.avsc': record([id]),
      'b-value/subject.json': '{"compatibility":"FULL"}',
      'a-key/v1.avsc': record([id]),
    });
    const subjects = loadSchemaCatalog(dir);
    assert.deepEqual(
      subjects.map((s) => [s.subject, s.compatibility, s.versions.map((v) => v.version)]),
      [
        ['a-key', 'BACKWARD', [1]],
        ['b-value', 'FULL', [1, 2]],
      ],
    );
  });

  it('refuses a gap in the versions, a stray file and a bad compatibility level, naming the place', () => {
    assert.throws(
      () => loadSchemaCatalog(catalog({ 's/v1.avsc': record([id]), 's/v3.avsc': record([id]) })),
      /versions must be v1\.\.vN without gaps; v2 is missing/,
    );
    assert.throws(
      () => loadSchemaCatalog(catalog({ 's/v1.avsc': record([id]), 's/notes.txt': 'x' })),
      /notes\.txt: expected files named v<N>\.avsc/,
    );
    assert.throws(
      () =>
        loadSchemaCatalog(
          catalog({ 's/v1.avsc': record([id]), 's/subject.json': '{"compatibility":"SIDEWAYS"}' }),
        ),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'compatibility' &&
        /subject\.json: at compatibility: expected one of/.test(err.message),
    );
    assert.throws(
      () => loadSchemaCatalog(catalog({ 's/v1.avsc': record([id]), 's/subject.json': '{oops' })),
      /subject\.json: not valid JSON/,
    );
    assert.throws(() => loadSchemaCatalog('/nonexistent/schemas'), /no such schemas folder/);
  });
});

describe('checkCatalog', () => {
  it('passes compatible evolutions (a field added with a default under BACKWARD)', () => {
    const subjects = loadSchemaCatalog(
      catalog({
        's/v1.avsc': record([id]),
        's/v2.avsc': record([id, { name: 'n', type: ['null', 'int'], default: null }]),
      }),
    );
    assert.deepEqual(checkCatalog(subjects), [{ subject: 's', problems: [] }]);
  });

  it('reports a version that breaks compatibility, naming the file, the level and the field', () => {
    const subjects = loadSchemaCatalog(
      catalog({
        's/v1.avsc': record([id]),
        's/v2.avsc': record([id, { name: 'required_now', type: 'int' }]),
      }),
    );
    const [result] = checkCatalog(subjects);
    assert.equal(result!.problems.length, 1);
    assert.match(result!.problems[0]!, /s\/v2\.avsc: not BACKWARD compatible .*required_now/);
  });

  it('checks transitively when the subject says so', () => {
    const v1 = record([id, { name: 'x', type: 'int' }]);
    const v2 = record([id, { name: 'x', type: 'int', default: 1 }]);
    const v3 = record([id]);
    const forward = loadSchemaCatalog(
      catalog({
        's/v1.avsc': v1,
        's/v2.avsc': v2,
        's/v3.avsc': v3,
        's/subject.json': '{"compatibility":"FORWARD_TRANSITIVE"}',
      }),
    );
    assert.equal(
      checkCatalog(forward)[0]!.problems.length,
      1,
      'v1 cannot read v3 data (x has no default in v1)',
    );
    const plain = loadSchemaCatalog(
      catalog({
        's/v1.avsc': v1,
        's/v2.avsc': v2,
        's/v3.avsc': v3,
        's/subject.json': '{"compatibility":"FORWARD"}',
      }),
    );
    assert.deepEqual(checkCatalog(plain)[0]!.problems, [], 'v2 can read v3 data');
  });

  it('reports invalid Avro and a version that repeats the previous one', () => {
    const subjects = loadSchemaCatalog(
      catalog({
        'bad/v1.avsc': '{"type":"record","name":"X","fields":[{"name":"a","type":"nosuchtype"}]}',
        'same/v1.avsc': record([id]),
        'same/v2.avsc': `  ${record([id])}\n`,
      }),
    );
    const [bad, same] = checkCatalog(subjects);
    assert.match(bad!.problems[0]!, /bad\/v1\.avsc: invalid Avro schema.*nosuchtype/);
    assert.match(same!.problems[0]!, /same\/v2\.avsc: is the same schema as v1/);
  });
});
