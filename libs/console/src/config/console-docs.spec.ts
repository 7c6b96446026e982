import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReferenceMarkdown, loadConfigFile } from '@sluice/config';
import { consoleConfigSchema } from './console-config';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');

describe('console documentation', () => {
  it("docs/console.md carries the current table of the console's configuration schema", () => {
    const doc = readFileSync(join(ROOT, 'docs', 'console.md'), 'utf8');
    assert.ok(
      doc.includes(
        `<!-- config:start -->\n${configReferenceMarkdown(consoleConfigSchema)}\n<!-- config:end -->`,
      ),
      'docs/console.md: the configuration table differs from the schema; run npm run build && node scripts/config-docs.js',
    );
  });

  it('examples/console.yaml is a valid configuration', () => {
    const config = loadConfigFile(consoleConfigSchema, join(ROOT, 'examples', 'console.yaml'), {
      env: {},
      unset: 'placeholder',
    });
    assert.equal(config.apps.length, 4);
  });
});
