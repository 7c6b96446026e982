import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { consoleConfigSchema } from './console-config';

const parse = (raw: unknown) => parseConfig(consoleConfigSchema, raw, { source: 'console.yaml', env: {} });

describe('console configuration', () => {
  it('defaults to the local stack on port 8100 with no app', () => {
    const config = parse({});
    assert.deepEqual(config.apps, []);
    assert.equal(config.http.port, 8100);
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(config.registry.url, 'http://127.0.0.1:8081');
    assert.equal(config.refreshMs, 2000);
  });

  it('takes apps with their management tokens, interpolated from the environment', () => {
    const config = parseConfig(
      consoleConfigSchema,
      { apps: [{ url: 'http://10.0.0.5:8102', token: '${TOKEN}' }] },
      { source: 'console.yaml', env: { TOKEN: 'abcdefabcdefabcdef' } },
    );
    assert.deepEqual(config.apps, [{ url: 'http://10.0.0.5:8102', token: 'abcdefabcdefabcdef' }]);
  });

  for (const [what, raw, path] of [
    [
      'an app URL that is not http(s)',
      { apps: [{ url: 'ftp://x' }] },
      /at apps\[0\]\.url: expected an http\(s\) URL/,
    ],
    ['an unknown app field', { apps: [{ url: 'http://a:1', tokn: 'x' }] }, /at apps\[0\]: .*tokn/],
    ['apps that are not a list', { apps: 'http://a:1' }, /at apps: /],
    ['a refresh below 250 ms', { refreshMs: 10 }, /at refreshMs: expected at least 250 ms/],
    [
      'a Jaeger link that is no URL',
      { links: { jaeger: 'jaeger' } },
      /at links\.jaeger: expected an http\(s\) URL/,
    ],
    ['an unknown top-level key', { app: [] }, /app/],
  ] as const) {
    it(`refuses ${what}, naming where`, () => {
      assert.throws(
        () => parse(raw),
        (e: unknown) =>
          e instanceof ConfigError && path.test(e.message) && e.message.startsWith('console.yaml'),
      );
    });
  }
});
