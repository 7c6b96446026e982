// Set-up shared by the schema-registry suites: a throwaway database per suite, registries started
// in-process on free ports, and a small HTTP helper that speaks the registry's content type.
import { Client } from 'pg';
import { stackAddresses, uniqueName } from '@sluice/test-support';
// eslint-disable-next-line no-restricted-imports -- these suites start the app in-process by design
import { createRegistryApp, registryConfig, type RegistryApp } from '../../apps/schema-registry/src';

export type { RegistryApp };

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface TestDatabase {
  name: string;
  drop(): Promise<void>;
}

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const { host, port, user, password } = stackAddresses().postgres;
  const client = new Client({ host, port, user, password, database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of its own for one suite, so suites never see each other's subjects. */
export async function createTestDatabase(prefix = 'registry'): Promise<TestDatabase> {
  const name = uniqueName(prefix).replace(/[^a-z0-9]/g, '_');
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    drop: () =>
      withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/** A registry on a free port over `database`. */
export function startRegistry(
  database: string,
  overrides: {
    bodyLimitBytes?: number;
    poolSize?: number;
    /** HTTP basic auth: the users it lets in. */
    users?: Array<{ username: string; password: string }>;
  } = {},
): Promise<RegistryApp> {
  const { host, port, user, password } = stackAddresses().postgres;
  return createRegistryApp(
    registryConfig({
      http: { host: '127.0.0.1', port: 0, bodyLimitBytes: overrides.bodyLimitBytes },
      database: { host, port, user, password, database, poolSize: overrides.poolSize },
      logging: { level: 'warn' },
      ...(overrides.users && { auth: { users: overrides.users } }),
    }),
  );
}

export interface Reply {
  status: number;
  contentType: string | null;
  body: unknown;
  text: string;
}

/** One HTTP call; JSON bodies are sent as the registry's content type unless told otherwise. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= REGISTRY_CONTENT_TYPE;
  }
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (a health report or a raw schema may be either); `text` has it
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body: parsed, text };
}

/** An Avro record schema text from field definitions. */
export function recordSchema(name: string, fields: object[]): string {
  return JSON.stringify({ type: 'record', name, namespace: 'sluice.test', fields });
}
