// Conformance of the registry's REST API with Confluent Schema Registry: every endpoint, its
// response shape and its error codes, driven over raw HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  call,
  createTestDatabase,
  recordSchema,
  REGISTRY_CONTENT_TYPE,
  startRegistry,
  type TestDatabase,
} from './schema-registry-harness';

const V1 = recordSchema('User', [{ name: 'id', type: 'long' }]);
const V2 = recordSchema('User', [
  { name: 'id', type: 'long' },
  { name: 'name', type: 'string', default: '' },
]);
const V3 = recordSchema('User', [
  { name: 'id', type: 'long' },
  { name: 'name', type: 'string', default: '' },
  { name: 'email', type: ['null', 'string'], default: null },
]);
const NO_DEFAULT = recordSchema('User', [
  { name: 'id', type: 'long' },
  { name: 'age', type: 'int' },
]);

function errorCode(body: unknown): number | undefined {
  return (body as { error_code?: number } | undefined)?.error_code;
}

describe('schema registry REST API', () => {
  let db: TestDatabase;
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    db = await createTestDatabase('registry_api');
    const registry = await startRegistry(db.name, { bodyLimitBytes: 64 * 1024 });
    url = registry.url;
    close = registry.close;
  });

  after(async () => {
    await close?.();
    await db?.drop();
  });

  it('answers the root with {} and lists the schema types', async () => {
    const root = await call(url, 'GET', '/');
    assert.equal(root.status, 200);
    assert.deepEqual(root.body, {});
    assert.equal(root.contentType, REGISTRY_CONTENT_TYPE);
    assert.deepEqual((await call(url, 'GET', '/schemas/types')).body, ['AVRO']);
  });

  it('reports liveness and readiness', async () => {
    const live = await call(url, 'GET', '/health/live');
    assert.equal(live.status, 200);
    const ready = await call(url, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.body as { status: string }).status, 'ok');
  });

  it('registers versions, returns the same id on re-registration and serves them back', async () => {
    const subject = 'api-users-value';
    const first = await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V1 });
    assert.equal(first.status, 200);
    assert.equal(first.contentType, REGISTRY_CONTENT_TYPE);
    const id1 = (first.body as { id: number }).id;
    assert.ok(Number.isInteger(id1) && id1 > 0);

    // the same schema, written differently, is the same schema: same id, no new version
    const again = await call(url, 'POST', `/subjects/${subject}/versions`, {
      schema: ` { "fields": [ {"type": "long", "name": "id"} ], "namespace": "sluice.test", "name": "User", "type": "record" } `,
      schemaType: 'AVRO',
    });
    assert.deepEqual(again.body, { id: id1 });

    const second = await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V2 });
    const id2 = (second.body as { id: number }).id;
    assert.notEqual(id2, id1);

    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions`)).body, [1, 2]);
    assert.ok(((await call(url, 'GET', '/subjects')).body as string[]).includes(subject));

    const latest = await call(url, 'GET', `/subjects/${subject}/versions/latest`);
    assert.deepEqual(latest.body, { subject, id: id2, version: 2, schema: V2 });
    const v1 = await call(url, 'GET', `/subjects/${subject}/versions/1`);
    assert.deepEqual(v1.body, { subject, id: id1, version: 1, schema: V1 });
    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions/-1`)).body, latest.body);

    const raw = await call(url, 'GET', `/subjects/${subject}/versions/1/schema`);
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.body, JSON.parse(V1));

    assert.deepEqual((await call(url, 'GET', `/schemas/ids/${id1}`)).body, { schema: V1 });
    assert.deepEqual((await call(url, 'GET', `/schemas/ids/${id2}/versions`)).body, [
      { subject, version: 2 },
    ]);

    const found = await call(url, 'POST', `/subjects/${subject}`, { schema: V1 });
    assert.deepEqual(found.body, { subject, id: id1, version: 1, schema: V1 });
  });

  it('gives the same schema the same global id in every subject', async () => {
    const a = await call(url, 'POST', '/subjects/api-shared-a/versions', { schema: V3 });
    const b = await call(url, 'POST', '/subjects/api-shared-b/versions', { schema: V3 });
    assert.deepEqual(a.body, b.body);
    const id = (a.body as { id: number }).id;
    assert.deepEqual((await call(url, 'GET', `/schemas/ids/${id}/versions`)).body, [
      { subject: 'api-shared-a', version: 1 },
      { subject: 'api-shared-b', version: 1 },
    ]);
  });

  it('accepts all three JSON content types and answers in the registry content type', async () => {
    for (const contentType of [
      'application/vnd.schemaregistry.v1+json',
      'application/vnd.schemaregistry+json',
      'application/json',
      'application/json; charset=utf-8',
    ]) {
      const reply = await call(
        url,
        'POST',
        '/subjects/api-ct/versions',
        { schema: V1 },
        { 'content-type': contentType },
      );
      assert.equal(reply.status, 200, contentType);
      assert.equal(reply.contentType, REGISTRY_CONTENT_TYPE);
    }
  });

  it('answers not-found errors with Confluent codes', async () => {
    const cases: [string, string, number][] = [
      ['GET', '/subjects/api-nobody/versions', 40401],
      ['GET', '/subjects/api-nobody/versions/1', 40401],
      ['GET', '/subjects/api-nobody/versions/latest', 40401],
      ['GET', '/subjects/api-users-value/versions/99', 40402],
      ['GET', '/schemas/ids/999999', 40403],
      ['GET', '/schemas/ids/999999/versions', 40403],
      ['GET', '/schemas/ids/abc', 40403],
      ['DELETE', '/subjects/api-nobody', 40401],
    ];
    for (const [method, path, code] of cases) {
      const reply = await call(url, method, path);
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(errorCode(reply.body), code, `${method} ${path}`);
      assert.equal(typeof (reply.body as { message: string }).message, 'string');
    }
    const lookupMissing = await call(url, 'POST', '/subjects/api-users-value', { schema: V3 });
    assert.equal(errorCode(lookupMissing.body), 40403);
    const lookupNoSubject = await call(url, 'POST', '/subjects/api-nobody', { schema: V3 });
    assert.equal(errorCode(lookupNoSubject.body), 40401);
  });

  it('refuses invalid schemas with 42201 and invalid versions with 42202', async () => {
    const bad: unknown[] = [
      { schema: '{"type": "record", "name": "X"}' },
      { schema: 'not json at all' },
      { schema: '{"type":"strin"}' },
      { schema: '"string"', schemaType: 'PROTOBUF' },
      { notSchema: true },
      [1, 2],
    ];
    for (const body of bad) {
      const reply = await call(url, 'POST', '/subjects/api-bad/versions', body);
      assert.equal(reply.status, 422, JSON.stringify(body));
      assert.equal(errorCode(reply.body), 42201, JSON.stringify(body));
    }
    for (const version of ['0', 'abc', '2147483648', '-2']) {
      const reply = await call(url, 'GET', `/subjects/api-users-value/versions/${version}`);
      assert.equal(reply.status, 422, version);
      assert.equal(errorCode(reply.body), 42202, version);
    }
  });

  it('refuses an incompatible schema with 409 and lists why', async () => {
    const reply = await call(url, 'POST', '/subjects/api-users-value/versions', { schema: NO_DEFAULT });
    assert.equal(reply.status, 409);
    assert.equal(errorCode(reply.body), 409);
    assert.match(
      (reply.body as { message: string }).message,
      /incompatible with an earlier schema.*api-users-value/,
    );
  });

  it('reads, sets and deletes the global and subject compatibility levels', async () => {
    assert.deepEqual((await call(url, 'GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
    assert.deepEqual((await call(url, 'PUT', '/config', { compatibility: 'FULL' })).body, {
      compatibility: 'FULL',
    });
    assert.deepEqual((await call(url, 'GET', '/config')).body, { compatibilityLevel: 'FULL' });

    const notConfigured = await call(url, 'GET', '/config/api-users-value');
    assert.equal(notConfigured.status, 404);
    assert.equal(errorCode(notConfigured.body), 40408);
    assert.deepEqual((await call(url, 'GET', '/config/api-users-value?defaultToGlobal=true')).body, {
      compatibilityLevel: 'FULL',
    });

    assert.deepEqual((await call(url, 'PUT', '/config/api-users-value', { compatibility: 'none' })).body, {
      compatibility: 'NONE',
    });
    assert.deepEqual((await call(url, 'GET', '/config/api-users-value')).body, {
      compatibilityLevel: 'NONE',
    });
    assert.deepEqual((await call(url, 'DELETE', '/config/api-users-value')).body, {
      compatibilityLevel: 'NONE',
    });
    assert.equal(errorCode((await call(url, 'DELETE', '/config/api-users-value')).body), 40408);

    for (const body of [{ compatibility: 'SIDEWAYS' }, { compatibility: 3 }, {}]) {
      const reply = await call(url, 'PUT', '/config', body);
      assert.equal(reply.status, 422);
      assert.equal(errorCode(reply.body), 42203);
      assert.equal(errorCode((await call(url, 'PUT', '/config/api-x', body)).body), 42203);
    }

    assert.deepEqual((await call(url, 'DELETE', '/config')).body, { compatibilityLevel: 'FULL' });
    assert.deepEqual((await call(url, 'GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
  });

  it('checks compatibility without registering, with verbose messages', async () => {
    const subject = 'api-users-value';
    const ok = await call(url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: V3 });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { is_compatible: true });
    const bad = await call(url, 'POST', `/compatibility/subjects/${subject}/versions/latest?verbose=true`, {
      schema: NO_DEFAULT,
    });
    assert.equal((bad.body as { is_compatible: boolean }).is_compatible, false);
    assert.ok(((bad.body as { messages: string[] }).messages ?? []).length > 0);
    const okVerbose = await call(url, 'POST', `/compatibility/subjects/${subject}/versions/1?verbose=true`, {
      schema: V2,
    });
    assert.deepEqual(okVerbose.body, { is_compatible: true, messages: [] });
    assert.deepEqual(
      (await call(url, 'POST', `/compatibility/subjects/${subject}/versions`, { schema: V3 })).body,
      { is_compatible: true },
    );
    assert.equal(
      errorCode(
        (await call(url, 'POST', `/compatibility/subjects/${subject}/versions/42`, { schema: V3 })).body,
      ),
      40402,
    );
    assert.equal(
      errorCode(
        (await call(url, 'POST', `/compatibility/subjects/api-nobody/versions/1`, { schema: V3 })).body,
      ),
      40401,
    );
    assert.equal(
      errorCode(
        (await call(url, 'POST', `/compatibility/subjects/${subject}/versions/x`, { schema: V3 })).body,
      ),
      42202,
    );
    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions`)).body, [1, 2]);
  });

  it('soft-deletes and permanently deletes versions, never reusing a version number', async () => {
    const subject = 'api-deletes';
    await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V1 });
    const id2 = (
      (await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V2 })).body as { id: number }
    ).id;
    await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V3 });

    // permanent before soft: 40407
    const early = await call(url, 'DELETE', `/subjects/${subject}/versions/2?permanent=true`);
    assert.equal(early.status, 404);
    assert.equal(errorCode(early.body), 40407);

    assert.deepEqual((await call(url, 'DELETE', `/subjects/${subject}/versions/2`)).body, 2);
    assert.equal(errorCode((await call(url, 'DELETE', `/subjects/${subject}/versions/2`)).body), 40406);
    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions`)).body, [1, 3]);
    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions?deleted=true`)).body, [1, 2, 3]);
    assert.equal(errorCode((await call(url, 'GET', `/subjects/${subject}/versions/2`)).body), 40402);
    assert.equal(
      ((await call(url, 'GET', `/subjects/${subject}/versions/2?deleted=true`)).body as { id: number }).id,
      id2,
    );
    // the schema itself stays readable by id
    assert.deepEqual((await call(url, 'GET', `/schemas/ids/${id2}`)).body, { schema: V2 });
    const holders = (await call(url, 'GET', `/schemas/ids/${id2}/versions`)).body as { subject: string }[];
    assert.ok(!holders.some((h) => h.subject === subject), 'a soft-deleted version is not listed');
    assert.equal(errorCode((await call(url, 'POST', `/subjects/${subject}`, { schema: V2 })).body), 40403);
    assert.equal(
      (
        (await call(url, 'POST', `/subjects/${subject}?deleted=true`, { schema: V2 })).body as {
          version: number;
        }
      ).version,
      2,
    );

    assert.deepEqual((await call(url, 'DELETE', `/subjects/${subject}/versions/2?permanent=true`)).body, 2);
    assert.equal(
      errorCode((await call(url, 'GET', `/subjects/${subject}/versions/2?deleted=true`)).body),
      40402,
    );
    assert.deepEqual((await call(url, 'DELETE', `/subjects/${subject}/versions/latest`)).body, 3);
    assert.deepEqual((await call(url, 'DELETE', `/subjects/${subject}/versions/3?permanent=true`)).body, 3);

    // a new registration continues after the highest number ever handed out
    const again = await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V3 });
    assert.equal(again.status, 200);
    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions`)).body, [1, 4]);
  });

  it('soft-deletes and permanently deletes subjects', async () => {
    const subject = 'api-subject-deletes';
    await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V1 });
    await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V2 });
    await call(url, 'PUT', `/config/${subject}`, { compatibility: 'FORWARD' });

    const early = await call(url, 'DELETE', `/subjects/${subject}?permanent=true`);
    assert.equal(early.status, 404);
    assert.equal(errorCode(early.body), 40405);

    assert.deepEqual((await call(url, 'DELETE', `/subjects/${subject}`)).body, [1, 2]);
    assert.equal(errorCode((await call(url, 'DELETE', `/subjects/${subject}`)).body), 40404);
    assert.ok(!((await call(url, 'GET', '/subjects')).body as string[]).includes(subject));
    assert.ok(((await call(url, 'GET', '/subjects?deleted=true')).body as string[]).includes(subject));
    assert.equal(errorCode((await call(url, 'GET', `/subjects/${subject}/versions`)).body), 40401);
    assert.equal(errorCode((await call(url, 'GET', `/subjects/${subject}/versions/latest`)).body), 40401);

    assert.deepEqual((await call(url, 'DELETE', `/subjects/${subject}?permanent=true`)).body, [1, 2]);
    assert.ok(!((await call(url, 'GET', '/subjects?deleted=true')).body as string[]).includes(subject));
    assert.equal(errorCode((await call(url, 'DELETE', `/subjects/${subject}`)).body), 40401);
    assert.equal(errorCode((await call(url, 'GET', `/config/${subject}`)).body), 40408);

    // the subject can come back; its versions continue after the old ones
    await call(url, 'POST', `/subjects/${subject}/versions`, { schema: V1 });
    assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions`)).body, [3]);
  });

  it('answers malformed, mislabelled, oversize and misrouted requests with 4xx JSON', async () => {
    const malformed = await call(url, 'POST', '/subjects/api-x/versions', '{"schema": ');
    assert.equal(malformed.status, 400);
    assert.equal(errorCode(malformed.body), 400);

    const wrongType = await call(url, 'POST', '/subjects/api-x/versions', JSON.stringify({ schema: V1 }), {
      'content-type': 'text/plain',
    });
    assert.equal(wrongType.status, 415);
    assert.equal(errorCode(wrongType.body), 415);

    const huge = JSON.stringify({
      schema: recordSchema('Big', [{ name: 'x'.repeat(100_000), type: 'int' }]),
    });
    const oversize = await call(url, 'POST', '/subjects/api-x/versions', huge);
    assert.equal(oversize.status, 413);
    assert.equal(errorCode(oversize.body), 413);

    // A subject Postgres cannot store (a NUL) or index (thousands of characters) was a 500 / 50001.
    for (const [method, path, body] of [
      ['POST', '/subjects/bad%00subject/versions', { schema: V1 }],
      ['GET', '/subjects/bad%01subject/versions', undefined],
      ['PUT', '/config/bad%00subject', { compatibility: 'NONE' }],
      ['POST', `/subjects/${'s'.repeat(3000)}/versions`, { schema: V1 }],
    ] as const) {
      const refused = await call(url, method, path, body);
      assert.equal(refused.status, 422, `${method} ${path.slice(0, 40)}: ${JSON.stringify(refused.body)}`);
      assert.equal(errorCode(refused.body), 42208);
    }

    // URLs the router cannot read: still Confluent's error shape (Fastify's own before).
    for (const [path, status] of [
      ['/subjects/%E0%A4/versions', 400],
      [`/subjects/${'s'.repeat(5000)}/versions`, 414],
    ] as const) {
      const unreadable = await call(url, 'GET', path);
      assert.equal(unreadable.status, status, JSON.stringify(unreadable.body));
      assert.equal(errorCode(unreadable.body), status);
    }

    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['GET', '/subjects/a/b/c/d/e'],
      ['PATCH', '/subjects'],
    ] as const) {
      const reply = await call(url, method, path);
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(errorCode(reply.body), 404);
      assert.equal(reply.contentType, REGISTRY_CONTENT_TYPE);
    }
    for (const reply of [malformed, wrongType, oversize]) {
      assert.doesNotMatch(reply.text, /at .*\.js:\d+/, 'no stack traces in responses');
    }
  });
});
