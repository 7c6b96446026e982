import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ExecutionContext, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { bearerToken, BearerTokenGuard } from './bearer-token.guard';

function call(method: string, authorization?: string, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = {};
  const request = {
    method,
    headers: { host: '127.0.0.1:8102', ...extra, ...(authorization === undefined ? {} : { authorization }) },
  };
  const context = {
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => ({ header: (name: string, value: string) => (headers[name] = value) }),
    }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

describe('bearerToken', () => {
  it('reads the token of an Authorization: Bearer header (scheme case-insensitive)', () => {
    assert.equal(bearerToken('Bearer abc.DEF-123'), 'abc.DEF-123');
    assert.equal(bearerToken('bearer abc'), 'abc');
  });

  it('finds no token in other forms', () => {
    for (const header of ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc', 'Bearer a b', 'Token abc', ''])
      assert.equal(bearerToken(header), undefined, JSON.stringify(header));
    assert.equal(bearerToken(undefined), undefined);
    assert.equal(bearerToken(['Bearer a', 'Bearer b']), undefined);
  });
});

describe('BearerTokenGuard', () => {
  const guard = new BearerTokenGuard('s3cret-token');
  const refused = (method: string, authorization?: string) => {
    const { context, headers } = call(method, authorization);
    assert.throws(() => guard.canActivate(context), UnauthorizedException);
    assert.equal(headers['WWW-Authenticate'], 'Bearer realm="sluice"');
  };

  it('lets reads through without a token', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS'])
      assert.equal(guard.canActivate(call(method).context), true);
  });

  it('lets a mutating call through with the right token', () => {
    assert.equal(guard.canActivate(call('POST', 'Bearer s3cret-token').context), true);
  });

  it('refuses a mutating call without, with a wrong, or with a malformed token', () => {
    refused('POST');
    refused('POST', 'Bearer wrong');
    refused('POST', 'Bearer s3cret-token-and-more');
    refused('DELETE', 'Bearer s3cret');
    refused('POST', 'Bearer');
    refused('POST', 'Basic czNjcmV0LXRva2Vu');
    refused('POST', 's3cret-token');
  });

  it('without a configured token lets everything through (the server is then loopback only)', () => {
    assert.equal(new BearerTokenGuard(undefined).canActivate(call('POST').context), true);
  });
});

describe('cross-origin calls', () => {
  const withToken = new BearerTokenGuard('s3cret-token-0123456789');
  const open = new BearerTokenGuard(undefined);

  it('refuses a mutating call a web page of another origin sends, with or without a token configured', () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:9999', 'null', 'not a url'])
      for (const guard of [withToken, open])
        assert.throws(
          () => guard.canActivate(call('POST', 'Bearer s3cret-token-0123456789', { origin }).context),
          ForbiddenException,
          origin,
        );
  });

  it('lets same-origin pages, tools without an Origin and reads through', () => {
    assert.equal(
      open.canActivate(call('POST', undefined, { origin: 'http://127.0.0.1:8102' }).context),
      true,
    );
    assert.equal(open.canActivate(call('POST').context), true);
    assert.equal(open.canActivate(call('GET', undefined, { origin: 'https://evil.example' }).context), true);
  });
});
