// Many clients, and two replicas on one database, registering an overlapping set of schemas at
// once: every schema gets exactly one global id, no id names two schemas, versions are contiguous.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  call,
  createTestDatabase,
  recordSchema,
  type RegistryApp,
  startRegistry,
  type TestDatabase,
} from './schema-registry-harness';

const CLIENTS = 20;
const SUBJECTS = ['conc-a', 'conc-b', 'conc-c', 'conc-d', 'conc-e'];
const SCHEMA_COUNT = 8;

/** Schema k, in one of several spellings: equal canonical forms, different texts. */
function schemaText(k: number, spelling: number): string {
  const fields = [
    { name: 'id', type: 'long' },
    { name: `f${k}`, type: 'string', default: '' },
  ];
  const compact = recordSchema(`S${k}`, fields);
  if (spelling % 2 === 0) return compact;
  // same schema: keys reordered and whitespace added
  return `{ "fields": ${JSON.stringify(fields.map((f) => ({ default: f.default, type: f.type, name: f.name })).map((f) => (f.default === undefined ? { type: f.type, name: f.name } : f)))}, "namespace": "sluice.test", "name": "S${k}", "type": "record" }`;
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Registration {
  subject: string;
  schema: number;
  id: number;
}

/** `clients` concurrent clients, each registering every (subject, schema) pair in its own order. */
async function registerConcurrently(
  urls: readonly string[],
  subjects: readonly string[],
): Promise<Registration[]> {
  const pairs = subjects.flatMap((subject) =>
    Array.from({ length: SCHEMA_COUNT }, (_, k) => ({ subject, k })),
  );
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    const out: Registration[] = [];
    for (const { subject, k } of shuffled(pairs)) {
      const url = urls[(client + k) % urls.length]!;
      const reply = await call(url, 'POST', `/subjects/${subject}/versions`, {
        schema: schemaText(k, client),
      });
      assert.equal(reply.status, 200, `client ${client} ${subject} S${k}: ${reply.text}`);
      out.push({ subject, schema: k, id: (reply.body as { id: number }).id });
    }
    return out;
  });
  return (await Promise.all(clients)).flat();
}

async function assertConsistent(
  url: string,
  registrations: readonly Registration[],
  subjects: readonly string[],
) {
  const idOfSchema = new Map<number, number>();
  for (const r of registrations) {
    const known = idOfSchema.get(r.schema);
    if (known === undefined) idOfSchema.set(r.schema, r.id);
    else assert.equal(r.id, known, `schema S${r.schema} got ids ${known} and ${r.id}`);
  }
  assert.equal(idOfSchema.size, SCHEMA_COUNT);
  assert.equal(new Set(idOfSchema.values()).size, SCHEMA_COUNT, 'no id names two schemas');

  for (const [k, id] of idOfSchema) {
    const byId = await call(url, 'GET', `/schemas/ids/${id}`);
    assert.equal(JSON.parse((byId.body as { schema: string }).schema).name, `S${k}`);
  }
  for (const subject of subjects) {
    const versions = (await call(url, 'GET', `/subjects/${subject}/versions`)).body as number[];
    assert.deepEqual(
      versions,
      Array.from({ length: SCHEMA_COUNT }, (_, i) => i + 1),
      `${subject} has contiguous versions`,
    );
    const ids = new Set<number>();
    for (const version of versions) {
      ids.add(
        ((await call(url, 'GET', `/subjects/${subject}/versions/${version}`)).body as { id: number }).id,
      );
    }
    assert.deepEqual([...ids].sort(), [...idOfSchema.values()].sort(), `${subject} holds each schema once`);
  }
}

describe('concurrent registration', () => {
  let db: TestDatabase;
  const apps: RegistryApp[] = [];

  before(async () => {
    db = await createTestDatabase('registry_conc');
    // two replicas migrating the same fresh database at the same moment
    apps.push(...(await Promise.all([startRegistry(db.name), startRegistry(db.name)])));
    await call(apps[0]!.url, 'PUT', '/config', { compatibility: 'NONE' });
  });

  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await db?.drop();
  });

  it(`${CLIENTS} clients on one replica agree on every id`, async () => {
    const subjects = SUBJECTS.map((s) => `${s}-one`);
    const registrations = await registerConcurrently([apps[0]!.url], subjects);
    assert.equal(registrations.length, CLIENTS * subjects.length * SCHEMA_COUNT);
    await assertConsistent(apps[0]!.url, registrations, subjects);
  });

  it(`${CLIENTS} clients spread over two replicas on one database agree on every id`, async () => {
    const subjects = SUBJECTS.map((s) => `${s}-two`);
    const registrations = await registerConcurrently(
      apps.map((a) => a.url),
      subjects,
    );
    await assertConsistent(apps[1]!.url, registrations, subjects);
    // the ids are the ones the first test handed out: schemas are global across subjects
    const first = await call(apps[0]!.url, 'POST', `/subjects/${SUBJECTS[0]}-one`, {
      schema: schemaText(0, 0),
    });
    const second = await call(apps[1]!.url, 'POST', `/subjects/${SUBJECTS[0]}-two`, {
      schema: schemaText(0, 1),
    });
    assert.equal((first.body as { id: number }).id, (second.body as { id: number }).id);
  });
});
