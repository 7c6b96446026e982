import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Client } from 'pg';
import { parseConfig, postgresSslSchema, postgresTlsOptions } from '@sluice/config';
import { RetriableError } from '@sluice/errors';
import { postgresRowLookup } from '@sluice/pipeline';
// eslint-disable-next-line no-restricted-imports -- the registry app is started in-process by design
import { createRegistryApp, registryConfig } from '../../../apps/schema-registry/src';
import { TlsPostgres } from './postgres-tls-harness';

/**
 * The other Postgres clients over TLS, against the suite's own `stack up --tls` Postgres: the
 * schema registry's storage (`database.ssl`) and the enrich step's lookups (`ssl`), each with
 * verify-full and the stack CA, and each refusing a CA that did not sign the server.
 */
describe('Postgres over TLS: the registry storage and enrich lookups', () => {
  let pg: TlsPostgres;
  let admin: Client;

  before(async () => {
    pg = await TlsPostgres.start();
    admin = await pg.client('registry');
  });

  after(async () => {
    await admin?.end().catch(() => undefined);
    await pg?.stop();
  });

  const tls = (ca: string) =>
    postgresTlsOptions(parseConfig(postgresSslSchema, { mode: 'verify-full', ca }), {
      baseDir: pg.home,
      path: 'ssl',
    });

  it('the registry stores schemas over a verify-full connection', async () => {
    const registry = await createRegistryApp(
      registryConfig({
        http: { host: '127.0.0.1', port: 0 },
        database: { ...pg.connection('registry'), ssl: { mode: 'verify-full', ca: pg.caFile } },
        logging: { level: 'fatal' },
      }),
      { baseDir: pg.home },
    );
    try {
      const response = await fetch(`${registry.url}/subjects`);
      assert.equal(response.status, 200);
      const { rows } = await admin.query<{ plain: number; tls: number }>(
        `SELECT count(*) FILTER (WHERE NOT s.ssl)::int AS plain, count(*) FILTER (WHERE s.ssl)::int AS tls
           FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
          WHERE a.datname = 'registry' AND a.application_name = 'sluice-schema-registry'`,
      );
      assert.equal(rows[0]!.plain, 0);
      assert.ok(rows[0]!.tls > 0, 'the registry holds TLS connections');
    } finally {
      await registry.close();
    }
  });

  it('the registry refuses to start with a CA that did not sign the server, saying so', async () => {
    await assert.rejects(
      createRegistryApp(
        registryConfig({
          http: { host: '127.0.0.1', port: 0 },
          database: { ...pg.connection('registry'), ssl: { mode: 'verify-full', ca: pg.otherCaFile() } },
          logging: { level: 'fatal' },
        }),
        { baseDir: pg.home },
      ),
      /certificate/,
    );
  });

  it('enrich looks rows up over a verify-full connection', async () => {
    const lookup = postgresRowLookup({
      connection: `postgres://postgres:postgres@127.0.0.1:${pg.port}/source`,
      ssl: tls(pg.caFile),
      query: 'SELECT ssl, $1::text AS asked FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      timeoutMs: 5000,
    });
    try {
      assert.deepEqual(await lookup.find(['x']), { ssl: true, asked: 'x' });
    } finally {
      await lookup.close();
    }
  });

  it('enrich with a CA that did not sign the server: the lookup fails naming the certificate', async () => {
    const lookup = postgresRowLookup({
      connection: `postgres://postgres:postgres@127.0.0.1:${pg.port}/source`,
      ssl: tls(pg.otherCaFile()),
      query: 'SELECT 1 AS one',
      timeoutMs: 5000,
    });
    try {
      await assert.rejects(
        lookup.find([]),
        (error: unknown) => error instanceof RetriableError && /certificate/.test(error.message),
      );
    } finally {
      await lookup.close();
    }
  });
});
