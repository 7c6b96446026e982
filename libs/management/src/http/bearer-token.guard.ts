import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface HttpRequest {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
}
interface HttpReply {
  header(name: string, value: string): unknown;
}

/**
 * Guards every mutating call (anything but GET, HEAD, OPTIONS) of the app with the configured
 * bearer token; reads (status, offsets, health, metrics, /docs) stay open. Without a token every
 * call passes: serveApp then binds the server to loopback only.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    if (SAFE_METHODS.has(request.method.toUpperCase())) return true;
    const presented = bearerToken(request.headers.authorization);
    // Digests of equal length, compared in constant time: neither the token nor its length leaks.
    if (presented !== undefined && timingSafeEqual(digest(presented), this.expected)) return true;
    http.getResponse<HttpReply>().header('WWW-Authenticate', 'Bearer realm="sluice"');
    throw new UnauthorizedException(
      presented === undefined
        ? 'Missing bearer token: send Authorization: Bearer <http.token>'
        : 'Invalid bearer token',
    );
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other form. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
