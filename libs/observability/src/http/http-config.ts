import { z } from 'zod';
import { wholeNumber } from '@sluice/config';

/**
 * The `http` section every Sluice app shares (status, health, metrics, the management API and its
 * OpenAPI document). `defaultPort` is the app's port in the local stack.
 */
export function httpConfigSchema(defaultPort: number) {
  return z
    .strictObject({
      host: z
        .string()
        .min(1)
        .default('127.0.0.1')
        .describe(
          'HTTP address. Without `token` the server binds to 127.0.0.1 whatever this says. Default 127.0.0.1.',
        ),
      port: wholeNumber(0)
        .default(defaultPort)
        .describe(`HTTP port; 0 picks a free one. Default ${defaultPort}.`),
      token: z
        .string()
        .min(
          16,
          'expected at least 16 characters, e.g. `openssl rand -hex 16` (leave `token` out for a loopback-only API)',
        )
        .optional()
        .describe(
          'Bearer token the management API requires on mutating calls (POST), e.g. ' +
            '`${SLUICE_MANAGEMENT_TOKEN}`. Default none: the API is unauthenticated and bound to loopback.',
        ),
    })
    .prefault({});
}

export type HttpConfig = z.output<ReturnType<typeof httpConfigSchema>>;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Where the server may bind: the configured host with a token, else loopback (an unauthenticated API stays local). */
export function bindAddress(http: Pick<HttpConfig, 'host' | 'token'>): { host: string; forced: boolean } {
  if (http.token !== undefined || LOOPBACK_HOSTS.has(http.host)) return { host: http.host, forced: false };
  return { host: '127.0.0.1', forced: true };
}
