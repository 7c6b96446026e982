import { createHash, timingSafeEqual } from 'node:crypto';
import { type FastifyInstance } from 'fastify';
import { RESPONSE_CONTENT_TYPE } from './content-types';

/** One user the registry lets in. */
export interface RegistryUser {
  readonly username: string;
  readonly password: string;
}

/** Paths open without credentials: the kubelet's probes (they carry none). */
const OPEN_PATHS = ['/health/live', '/health/ready'];

/**
 * HTTP basic auth over a fixed list of users (RFC 7617), as Confluent's registry and its clients
 * speak it (`basic.auth.credentials.source=USER_INFO`, `@kafkajs/confluent-schema-registry`'s
 * `auth`). Each user's name and password are compared as SHA-256 digests with `timingSafeEqual`,
 * and every user is compared (no early exit): neither a password, its length nor which user
 * exists leaks through the answer's timing.
 */
export class BasicAuthVerifier {
  private readonly users: ReadonlyArray<{ user: Buffer; password: Buffer }>;

  constructor(users: readonly RegistryUser[]) {
    this.users = users.map((u) => ({ user: digest(u.username), password: digest(u.password) }));
  }

  /** The user an `Authorization` header proves to be, or undefined (missing, malformed or wrong). */
  verify(header: string | string[] | undefined): string | undefined {
    const credentials = basicCredentials(header);
    if (credentials === undefined) return undefined;
    const user = digest(credentials.username);
    const password = digest(credentials.password);
    let matched = false;
    for (const known of this.users) {
      // Both compared every time, so a known user name with a wrong password takes as long as neither.
      const sameUser = timingSafeEqual(user, known.user);
      const samePassword = timingSafeEqual(password, known.password);
      matched = (sameUser && samePassword) || matched;
    }
    return matched ? credentials.username : undefined;
  }
}

/** The user name and password of an `Authorization: Basic <base64>` header; undefined otherwise. */
export function basicCredentials(
  header: string | string[] | undefined,
): { username: string; password: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Refuses every request without valid credentials, before routing: 401 with `WWW-Authenticate`
 * (so a client knows to send them) and Confluent's error shape. The health probes stay open.
 */
export function requireBasicAuth(
  fastify: FastifyInstance,
  users: readonly RegistryUser[],
  realm: string,
): void {
  const verifier = new BasicAuthVerifier(users);
  const challenge = `Basic realm="${realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
  fastify.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0]!.replace(/\/+$/, '');
    if (OPEN_PATHS.includes(path)) return;
    if (verifier.verify(request.headers.authorization) !== undefined) return;
    await reply
      .code(401)
      .header('WWW-Authenticate', challenge)
      .header('content-type', RESPONSE_CONTENT_TYPE)
      .send(
        JSON.stringify({
          error_code: 401,
          message:
            request.headers.authorization === undefined
              ? 'Unauthorized: this registry requires HTTP basic auth'
              : 'Unauthorized: wrong user name or password',
        }),
      );
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
