import { z } from 'zod';

/** An HTTP header name (RFC 9110 token). */
export const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');

/**
 * The credentials sent unchanged with every request: bearer, basic, or an API key in a header.
 * Each connector composes these with its own (the poll source adds a key in the query and OAuth2).
 */
export const staticAuthOptions = [
  z.strictObject({
    type: z.literal('bearer').describe('Which scheme. Required with auth.'),
    token: z.string().min(1).describe('bearer: the token; use ${ENV_VAR}. Required with bearer.'),
  }),
  z.strictObject({
    type: z.literal('basic'),
    username: z.string().min(1).describe('basic: the user name. Required with basic.'),
    password: z.string().describe('basic: the password; use ${ENV_VAR}. Required with basic.'),
  }),
  z.strictObject({
    type: z.literal('api-key'),
    header: headerName
      .default('X-API-Key')
      .describe('api-key: the header carrying the key. Default X-API-Key.'),
    value: z.string().min(1).describe('api-key: the key; use ${ENV_VAR}. Required with api-key.'),
  }),
] as const;

export type StaticAuth = z.output<(typeof staticAuthOptions)[number]>;

/** The headers that carry static credentials (lower-case names). */
export function staticAuthHeaders(auth: StaticAuth | undefined): Record<string, string> {
  if (!auth) return {};
  switch (auth.type) {
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      };
    case 'api-key':
      return { [auth.header.toLowerCase()]: auth.value };
  }
}
