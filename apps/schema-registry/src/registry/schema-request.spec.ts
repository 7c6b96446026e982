import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../errors/registry-error';
import { parseSchemaRequest } from './schema-request';

const record = (fields: string) => `{"type":"record","name":"User","fields":[${fields}]}`;

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RegistryError ? err.errorCode : -1;
  }
  return undefined;
}

describe('parseSchemaRequest', () => {
  it('gives equal schemas written differently the same hash', () => {
    const a = parseSchemaRequest({ schema: record('{"name":"id","type":"long"}') });
    const b = parseSchemaRequest({
      schema: `{ "fields": [ { "type": "long", "name": "id" } ], "name": "User", "type": "record" }`,
      schemaType: 'AVRO',
    });
    assert.equal(a.canonicalHash, b.canonicalHash);
    assert.equal(a.schemaType, 'AVRO');
    const c = parseSchemaRequest({ schema: record('{"name":"id","type":"int"}') });
    assert.notEqual(a.canonicalHash, c.canonicalHash);
  });

  it('refuses bodies and schemas it cannot use with 42201', () => {
    assert.equal(
      code(() => parseSchemaRequest({})),
      42201,
    );
    assert.equal(
      code(() => parseSchemaRequest({ schema: 42 })),
      42201,
    );
    assert.equal(
      code(() => parseSchemaRequest('text')),
      42201,
    );
    assert.equal(
      code(() => parseSchemaRequest({ schema: '{not json' })),
      42201,
    );
    assert.equal(
      code(() => parseSchemaRequest({ schema: '{"type":"nope"}' })),
      42201,
    );
    assert.equal(
      code(() => parseSchemaRequest({ schema: '"string"', schemaType: 'PROTOBUF' })),
      42201,
    );
    assert.equal(
      code(() =>
        parseSchemaRequest({ schema: '"string"', references: [{ name: 'x', subject: 'y', version: 1 }] }),
      ),
      42201,
    );
  });

  it('names the field that is wrong', () => {
    const message = (work: () => unknown) => {
      try {
        work();
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    assert.match(
      message(() => parseSchemaRequest('text')),
      /the body: expected a JSON object/,
    );
    assert.match(
      message(() => parseSchemaRequest({})),
      /field "schema": expected the schema as a JSON string/,
    );
    assert.match(
      message(() => parseSchemaRequest({ schema: '"string"', schemaType: 5 })),
      /field "schemaType"/,
    );
    assert.match(
      message(() => parseSchemaRequest({ schema: '"string"', references: 'x' })),
      /field "references"/,
    );
  });

  it('ignores fields it does not know', () => {
    assert.equal(parseSchemaRequest({ schema: '"string"', metadata: null }).schema, '"string"');
  });
});
