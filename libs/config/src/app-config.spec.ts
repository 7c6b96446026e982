import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@sluice/errors';
import { configFileFromArgs, loadAppConfig } from './app-config';

const schema = z.object({ port: z.number().int().default(8100) });

describe('app configuration from the command line', () => {
  it('takes --config from argv in both spellings', () => {
    assert.equal(configFileFromArgs(['node', 'main.js', '--config', 'a.yaml']), 'a.yaml');
    assert.equal(configFileFromArgs(['node', 'main.js', '--config=b.yaml']), 'b.yaml');
  });

  it('refuses --config without a file name', () => {
    assert.throws(
      () => configFileFromArgs(['node', 'main.js', '--config']),
      (err: unknown) => err instanceof ConfigError && err.path === '--config',
    );
  });

  it('fills every default when no file is named', () => {
    assert.deepEqual(loadAppConfig(schema, ['node', 'main.js']), { port: 8100 });
  });

  it('validates the named file and names the YAML path of a bad value', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-app-config-')), 'app.yaml');
    writeFileSync(file, 'port: eighty\n');
    assert.throws(
      () => loadAppConfig(schema, ['node', 'main.js', '--config', file]),
      (err: unknown) => err instanceof ConfigError && err.path === 'port',
    );
  });
});
