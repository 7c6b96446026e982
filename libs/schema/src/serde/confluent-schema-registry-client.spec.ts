import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, FatalRecordError } from '@sluice/errors';
import { ConfluentSchemaRegistryClient } from './confluent-schema-registry-client';
import { SchemaRegistryUnavailableError } from './schema-registry-unavailable-error';
import { UnknownSchemaIdError } from './unknown-schema-id-error';

const SCHEMA = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}';

/** A registry speaking just enough of the Confluent REST API to exercise the client's error mapping. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify(body));
  };
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const url = req.url ?? '';
    if (
      req.headers.authorization &&
      req.headers.authorization !== `Basic ${Buffer.from('key:secret').toString('base64')}`
    ) {
      return reply(401, { error_code: 401, message: 'Unauthorized' });
    }
    if (url === '/schemas/ids/1') return reply(200, { schema: SCHEMA });
    if (url === '/schemas/ids/500') return reply(500, { error_code: 50001, message: 'Error in the backend' });
    if (url.startsWith('/schemas/ids/'))
      return reply(404, { error_code: 40403, message: 'Schema not found' });
    if (url === '/subjects/ok-value/versions' && req.method === 'POST') {
      assert.equal(JSON.parse(body).schema, SCHEMA);
      return reply(200, { id: 1 });
    }
    if (url === '/subjects/incompatible-value/versions') {
      return reply(409, { error_code: 409, message: 'Schema being registered is incompatible' });
    }
    if (url === '/subjects/ok-value' && req.method === 'POST')
      return reply(200, { id: 1, version: 1, subject: 'ok-value' });
    if (url.startsWith('/subjects/')) return reply(404, { error_code: 40401, message: 'Subject not found' });
    reply(404, { error_code: 404, message: 'HTTP 404 Not Found' });
  });
}

describe('ConfluentSchemaRegistryClient', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new ConfluentSchemaRegistryClient({ url, retries: 0 });

  it('registers, looks up and fetches schemas', async () => {
    assert.equal(await client().register('ok-value', SCHEMA), 1);
    assert.equal(await client().lookup('ok-value', SCHEMA), 1);
    assert.equal(await client().schemaById(1), SCHEMA);
  });

  it('maps a 404 for an id to UnknownSchemaIdError', async () => {
    await assert.rejects(
      client().schemaById(99),
      (e: unknown) => e instanceof UnknownSchemaIdError && e.schemaId === 99,
    );
  });

  it('maps 5xx and an unreachable registry to the retriable SchemaRegistryUnavailableError', async () => {
    await assert.rejects(client().schemaById(500), SchemaRegistryUnavailableError);
    const nowhere = new ConfluentSchemaRegistryClient({ url: 'http://127.0.0.1:1', retries: 0 });
    await assert.rejects(nowhere.schemaById(1), SchemaRegistryUnavailableError);
  });

  it('maps a refused schema and an unregistered one to fatal errors with codes', async () => {
    await assert.rejects(
      client().register('incompatible-value', SCHEMA),
      (e: unknown) => e instanceof FatalRecordError && e.code === 'SCHEMA_INCOMPATIBLE',
    );
    await assert.rejects(
      client().lookup('missing-value', SCHEMA),
      (e: unknown) => e instanceof FatalRecordError && e.code === 'SCHEMA_NOT_REGISTERED',
    );
  });

  it('sends basic auth and maps a refused credential to ConfigError', async () => {
    const good = new ConfluentSchemaRegistryClient({
      url,
      retries: 0,
      auth: { username: 'key', password: 'secret' },
    });
    assert.equal(await good.schemaById(1), SCHEMA);
    const bad = new ConfluentSchemaRegistryClient({
      url,
      retries: 0,
      auth: { username: 'key', password: 'nope' },
    });
    await assert.rejects(bad.schemaById(1), ConfigError);
  });
});
