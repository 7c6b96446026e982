import { z } from 'zod';
import { wholeNumber } from '@sluice/config';

/** The `registry` section of every app's configuration: where the Confluent-compatible registry is. */
export const schemaRegistryConfigSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:8081' })
      .default('http://127.0.0.1:8081')
      .describe('Registry base URL. Default http://127.0.0.1:8081 (the local stack).'),
    auth: z
      .strictObject({
        username: z.string().min(1).describe('Basic-auth user (Confluent Cloud API key).'),
        password: z.string().min(1).describe('Basic-auth password; use ${ENV_VAR} interpolation.'),
      })
      .optional()
      .describe('HTTP basic auth. Default none.'),
    retries: wholeNumber(0).default(3).describe('Retries of 5xx answers, with backoff. Default 3.'),
  })
  .prefault({});

export type SchemaRegistryConfig = z.output<typeof schemaRegistryConfigSchema>;

/** HTTP basic-auth credentials of a registry (Confluent Cloud: API key and secret). */
export type RegistryBasicAuth = NonNullable<SchemaRegistryConfig['auth']>;

/** The `Authorization` header value that sends `auth` as HTTP basic auth (RFC 7617, UTF-8). */
export function basicAuthorization(auth: RegistryBasicAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}
