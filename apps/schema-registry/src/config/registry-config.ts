import { z } from 'zod';
import { loadAppConfig, postgresSslSchema } from '@sluice/config';
import { loggingConfigSchema } from '@sluice/observability';
import { COMPATIBILITY_LEVELS } from '@sluice/schema';

/**
 * The registry's configuration. This zod schema is also its documentation: every field, its
 * default and what it means.
 */
// Strict, as every Sluice configuration: a misspelt key is an error naming it, not silently dropped.
export const RegistryConfigSchema = z.strictObject({
  http: z
    .strictObject({
      /** Address to listen on. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Port to listen on; 0 picks a free one. */
      port: z.number().int().min(0).max(65535).default(8081),
      /** Largest accepted request body; bigger bodies are refused with 413. */
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
    })
    .prefault({}),
  database: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(1).max(65535).default(5433),
      user: z.string().min(1).default('postgres'),
      password: z.string().default('postgres'),
      database: z.string().min(1).default('registry'),
      /** Connections per replica. */
      poolSize: z.number().int().positive().default(10),
      /** How long to wait for a connection before giving up. */
      connectTimeoutMs: z.number().int().positive().default(10_000),
      /** TLS to Postgres (libpq sslmode semantics; files relative to the configuration file). */
      ssl: postgresSslSchema,
    })
    .prefault({}),
  /**
   * HTTP basic auth (off without users): every request but the health probes needs one of these
   * users, else 401 with `WWW-Authenticate`. Passwords from the environment: `${REGISTRY_PASSWORD}`.
   */
  auth: z
    .strictObject({
      users: z
        .array(
          z.strictObject({
            username: z
              .string()
              .min(1)
              .refine((u) => !u.includes(':'), 'a basic-auth user name cannot contain ":"'),
            password: z.string().min(12, 'expected a password of at least 12 characters'),
          }),
        )
        .default([]),
      /** The realm named in `WWW-Authenticate`. */
      realm: z.string().min(1).default('sluice-schema-registry'),
    })
    .prefault({}),
  /** The global compatibility level used until `PUT /config` sets one. */
  compatibility: z.enum(COMPATIBILITY_LEVELS).default('BACKWARD'),
  logging: loggingConfigSchema,
});

export type RegistryConfig = z.output<typeof RegistryConfigSchema>;
/** What a caller may pass: any field may be left out and takes its default. */
export type RegistryConfigInput = z.input<typeof RegistryConfigSchema>;

/** Validates an in-process configuration (tests, benchmarks), filling in the defaults. */
export function registryConfig(input: RegistryConfigInput = {}): RegistryConfig {
  return RegistryConfigSchema.parse(input);
}

/** Loads the configuration for a process: the file from argv/env, or every default without one. */
export function loadRegistryConfig(argv: readonly string[]): RegistryConfig {
  return loadAppConfig(RegistryConfigSchema, argv);
}
