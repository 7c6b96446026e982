// Every compatibility level, through the API: a schema it accepts and one it refuses, both on
// registration and on the compatibility check. The rules in depth are unit-tested in libs/schema.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  call,
  createTestDatabase,
  recordSchema,
  startRegistry,
  type TestDatabase,
} from './schema-registry-harness';

const id = { name: 'id', type: 'long' };
const nameWithDefault = { name: 'name', type: 'string', default: '' };
const nameRequired = { name: 'name', type: 'string' };
const emailWithDefault = { name: 'email', type: ['null', 'string'], default: null };
const ageRequired = { name: 'age', type: 'int' };

interface LevelCase {
  level: string;
  /** registered first, oldest first */
  history: object[][];
  compatible: object[];
  incompatible: object[];
}

const CASES: LevelCase[] = [
  {
    level: 'NONE',
    history: [[id]],
    compatible: [{ name: 'id', type: 'string' }],
    incompatible: [], // NONE accepts everything
  },
  { level: 'BACKWARD', history: [[id]], compatible: [id, nameWithDefault], incompatible: [id, ageRequired] },
  // old readers ignore a new field; they cannot do without one they require
  {
    level: 'FORWARD',
    history: [[id, nameRequired]],
    compatible: [id, nameRequired, ageRequired],
    incompatible: [id],
  },
  {
    level: 'FULL',
    history: [[id]],
    compatible: [id, nameWithDefault],
    incompatible: [id, ageRequired],
  },
  // accepted against the latest version only, refused against the first
  {
    level: 'BACKWARD_TRANSITIVE',
    history: [[id], [id, nameWithDefault]],
    compatible: [id, nameWithDefault, emailWithDefault],
    incompatible: [id, nameRequired],
  },
  {
    level: 'FORWARD_TRANSITIVE',
    history: [
      [id, nameRequired],
      [id, { ...nameRequired, default: 'x' }],
    ],
    compatible: [id, nameRequired, emailWithDefault],
    incompatible: [id],
  },
  {
    level: 'FULL_TRANSITIVE',
    history: [[id], [id, nameWithDefault]],
    compatible: [id, nameWithDefault, emailWithDefault],
    incompatible: [id, nameRequired],
  },
];

describe('compatibility levels through the API', () => {
  let db: TestDatabase;
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    db = await createTestDatabase('registry_compat');
    const registry = await startRegistry(db.name);
    url = registry.url;
    close = registry.close;
  });

  after(async () => {
    await close?.();
    await db?.drop();
  });

  for (const c of CASES) {
    it(`${c.level}: accepts a compatible schema and refuses an incompatible one`, async () => {
      const subject = `compat-${c.level.toLowerCase()}`;
      const put = await call(url, 'PUT', `/config/${subject}`, { compatibility: c.level });
      assert.deepEqual(put.body, { compatibility: c.level });
      for (const fields of c.history) {
        const reply = await call(url, 'POST', `/subjects/${subject}/versions`, {
          schema: recordSchema('User', fields),
        });
        assert.equal(reply.status, 200, `history ${JSON.stringify(fields)}: ${reply.text}`);
      }
      const compatible = recordSchema('User', c.compatible);
      const check = await call(url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, {
        schema: compatible,
      });
      assert.deepEqual(check.body, { is_compatible: true });

      if (c.incompatible.length > 0) {
        const incompatible = recordSchema('User', c.incompatible);
        const verdict = await call(
          url,
          'POST',
          `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
          {
            schema: incompatible,
          },
        );
        const body = verdict.body as { is_compatible: boolean; messages: string[] };
        assert.equal(body.is_compatible, false);
        assert.ok(body.messages.length > 0);
        const refused = await call(url, 'POST', `/subjects/${subject}/versions`, { schema: incompatible });
        assert.equal(refused.status, 409, refused.text);
        assert.equal((refused.body as { error_code: number }).error_code, 409);
      }

      const accepted = await call(url, 'POST', `/subjects/${subject}/versions`, { schema: compatible });
      assert.equal(accepted.status, 200, accepted.text);
      assert.equal(
        ((await call(url, 'GET', `/subjects/${subject}/versions`)).body as number[]).length,
        c.history.length + 1,
      );
    });
  }

  it('uses the global level when a subject has none', async () => {
    await call(url, 'PUT', '/config', { compatibility: 'NONE' });
    try {
      const subject = 'compat-global';
      await call(url, 'POST', `/subjects/${subject}/versions`, { schema: recordSchema('User', [id]) });
      const changed = await call(url, 'POST', `/subjects/${subject}/versions`, {
        schema: recordSchema('User', [{ name: 'id', type: 'string' }]),
      });
      assert.equal(changed.status, 200);
    } finally {
      await call(url, 'DELETE', '/config');
    }
  });
});
