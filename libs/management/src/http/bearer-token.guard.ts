import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';

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
 * call passes: serveApp then binds the server to loopback only. Token or not, a mutating call a
 * browser sends from another origin is refused: a web page must not drive a loopback app.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    if (SAFE_METHODS.has(request.method.toUpperCase())) return true;
    if (crossOrigin(request.headers))
      throw new ForbiddenException(
        'Cross-origin request refused: the management API takes no calls from web pages',
      );
    if (this.expected === undefined) return true;
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

/**
 * A browser's request from a page of another origin: its Origin (browsers send it on every
 * cross-origin POST, and `null` from sandboxes and files) is not this server's own. Tools such as
 * curl and the CLI send none.
 */
function crossOrigin(headers: HttpRequest['headers']): boolean {
  const origin = headers.origin;
  if (typeof origin !== 'string') return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host !== headers.host;
  } catch {
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
