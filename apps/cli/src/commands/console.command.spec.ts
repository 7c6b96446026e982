import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appFromConfigFile } from './console.command';

const root = join(__dirname, '..', '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sluice-console-cli-'));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('sluice console --app-config', () => {
  it("reads an app's address from its configuration file (the demo's apps; the app's default port when unset)", () => {
    assert.deepEqual(appFromConfigFile(join(root, 'examples', 'demo', 'transformer.yaml')), {
      url: 'http://127.0.0.1:8102',
      service: 'transformer',
    });
    assert.deepEqual(appFromConfigFile(join(root, 'examples', 'demo', 'sink-postgres.yaml')), {
      url: 'http://127.0.0.1:8103',
      service: 'sink-postgres',
    });
    const noHttp = file('source.yaml', 'topicPrefix: shop\nhttp: { token: 0123456789abcdef01 }\n');
    assert.deepEqual(appFromConfigFile(noHttp), {
      url: 'http://127.0.0.1:8101',
      token: '0123456789abcdef01',
      service: 'source-postgres',
    });
  });

  it('bad input: a missing file, not a map, settings of no app, an invalid setting — each names the file', () => {
    assert.throws(() => appFromConfigFile(join(dir, 'nope.yaml')), /--app-config: no such file .*nope\.yaml/);
    assert.throws(
      () => appFromConfigFile(file('list.yaml', '- a\n- b\n')),
      /list\.yaml: expected an app's configuration/,
    );
    assert.throws(
      () => appFromConfigFile(file('odd.yaml', 'nosuchsetting: 1\n')),
      /odd\.yaml: not the configuration of one Sluice app \(its settings fit none\)/,
    );
    assert.throws(
      () => appFromConfigFile(file('port.yaml', 'topicPrefix: x\nhttp: { port: -1 }\n')),
      /port\.yaml/,
    );
  });
});
