// The schema registry with HTTP basic auth on: a private registry on a free port refuses every call
// without valid credentials (401 + WWW-Authenticate, Confluent's error shape) but the health
// probes, and lets in Sluice's own clients — the serde's (@kafkajs/confluent-schema-registry), the
// schemas workflow's and the CLI's — when the `registry:` section carries `auth`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryApi } from '@sluice/schema-catalog';
import { basicAuthorization, ConfluentSchemaRegistryClient } from '@sluice/schema';
import { type CliRun, PROJECT_ROOT, stackAddresses, uniqueName } from '@sluice/test-support';
import {
  call,
  createTestDatabase,
  recordSchema,
  type RegistryApp,
  startRegistry,
  type TestDatabase,
} from './schema-registry-harness';

/** Runs the CLI without blocking this process: the registry it calls answers from here. */
function runSluice(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const user = { username: 'sluice-apps', password: 'a-registry-password-1' };
const other = { username: 'ci', password: 'another-password-22' };

describe('schema registry with basic auth', () => {
  let db: TestDatabase;
  let registry: RegistryApp;
  let url: string;
  const subject = uniqueName('auth-subject');
  const schema = recordSchema('AuthProbe', [{ name: 'id', type: 'long' }]);

  before(async () => {
    db = await createTestDatabase('registry_auth');
    registry = await startRegistry(db.name, { users: [user, other] });
    url = registry.url;
  });

  after(async () => {
    await registry?.close();
    await db?.drop();
  });

  it('refuses a call without credentials: 401, WWW-Authenticate Basic, Confluent error body', async () => {
    for (const path of ['/subjects', '/schemas/ids/1', '/config', '/']) {
      const reply = await call(url, 'GET', path);
      assert.equal(reply.status, 401, path);
      assert.equal(reply.contentType, 'application/vnd.schemaregistry.v1+json');
      assert.deepEqual((reply.body as { error_code: number }).error_code, 401);
    }
    const response = await fetch(`${url}/subjects`);
    await response.body?.cancel();
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="sluice-schema-registry"/);
    const write = await call(url, 'POST', `/subjects/${subject}/versions`, { schema });
    assert.equal(write.status, 401);
  });

  it('refuses a wrong password, an unknown user and a non-basic scheme', async () => {
    for (const authorization of [
      basicAuthorization({ username: user.username, password: 'wrong-password-123' }),
      basicAuthorization({ username: 'mallory', password: user.password }),
      `Bearer ${user.password}`,
    ]) {
      const reply = await call(url, 'GET', '/subjects', undefined, { authorization });
      assert.equal(reply.status, 401, authorization);
      assert.match((reply.body as { message: string }).message, /wrong user name or password/);
    }
  });

  it('leaves the health probes open (the kubelet sends no credentials)', async () => {
    assert.equal((await call(url, 'GET', '/health/live')).status, 200);
    assert.equal((await call(url, 'GET', '/health/ready')).status, 200);
  });

  it('accepts each configured user', async () => {
    for (const u of [user, other]) {
      const reply = await call(url, 'GET', '/subjects', undefined, { authorization: basicAuthorization(u) });
      assert.equal(reply.status, 200, u.username);
    }
  });

  it("Sluice's serde client (a Confluent-compatible client) registers and reads with registry.auth", async () => {
    const client = new ConfluentSchemaRegistryClient({ url, auth: user, retries: 0 });
    const id = await client.register(subject, schema);
    assert.equal(await client.lookup(subject, schema), id);
    assert.equal(await client.latestId(subject), id);
    assert.equal(JSON.parse(await client.schemaById(id)).name, 'AuthProbe');
    const anonymous = new ConfluentSchemaRegistryClient({ url, retries: 0 });
    await assert.rejects(anonymous.schemaById(id), /401|Unauthorized/);
  });

  it('the schemas workflow client sends the auth it is given', async () => {
    assert.equal(typeof (await new RegistryApi(url, other).compatibilityLevel(subject)), 'string');
    await assert.rejects(new RegistryApi(url).compatibilityLevel(subject), /401/);
  });

  it("the CLI reaches it through --kafka-config's registry section; without auth it fails with exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-registry-auth-'));
    const file = join(dir, 'connection.yaml');
    writeFileSync(
      file,
      [
        `kafka: { brokers: [${stackAddresses().kafkaBrokers.join(', ')}] }`,
        'registry:',
        `  url: ${url}`,
        '  auth: { username: sluice-apps, password: "${REGISTRY_AUTH_IT_PASSWORD}" }',
        '',
      ].join('\n'),
    );
    const ok = await runSluice(['schemas', 'diff', '--kafka-config', file, '-o', 'json'], {
      REGISTRY_AUTH_IT_PASSWORD: user.password,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(Array.isArray(JSON.parse(ok.stdout)));
    const refused = await runSluice(['schemas', 'diff', '--registry', url]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^sluice: .*401/);
  });
});
