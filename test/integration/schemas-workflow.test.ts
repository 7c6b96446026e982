import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSluice, stackAddresses, uniqueName } from '@sluice/test-support';

/** `sluice schemas check | diff | register` against the stack's real registry. */
const { registryUrl } = stackAddresses();

const sluice = (args: string[]) => runSluice(args);

const record = (fields: object[]) =>
  JSON.stringify({ type: 'record', name: 'Order', namespace: 'test.workflow', fields });
const base = [{ name: 'id', type: 'string' }];

describe('sluice schemas against the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-schemas-it-'));
  const subject = `${uniqueName('orders')}-value`;
  mkdirSync(join(dir, subject));
  writeFileSync(join(dir, subject, 'v1.avsc'), record(base));
  writeFileSync(
    join(dir, subject, 'v2.avsc'),
    record([...base, { name: 'note', type: ['null', 'string'], default: null }]),
  );

  it('diff shows every version pending on a fresh subject', () => {
    const diff = sluice(['schemas', 'diff', '-d', dir, '-r', registryUrl, '-o', 'json']);
    assert.equal(diff.code, 0, diff.stderr);
    const [entry] = JSON.parse(diff.stdout) as Array<{
      subject: string;
      pending: number[];
      verdict: { compatible: boolean };
    }>;
    assert.equal(entry!.subject, subject);
    assert.deepEqual(entry!.pending, [1, 2]);
    assert.equal(entry!.verdict.compatible, true);
  });

  it('register registers the versions in order, and a second run registers nothing', () => {
    const first = sluice(['schemas', 'register', '-d', dir, '-r', registryUrl, '-o', 'json']);
    assert.equal(first.code, 0, first.stderr);
    const registered = JSON.parse(first.stdout) as Array<{ subject: string; version: number; id: number }>;
    assert.deepEqual(
      registered.map((r) => r.version),
      [1, 2],
    );
    assert.notEqual(registered[0]!.id, registered[1]!.id);
    const second = sluice(['schemas', 'register', '-d', dir, '-r', registryUrl]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /already has every version/);
  });

  it('the registry agrees: versions 1 and 2 under the subject', async () => {
    const versions = (await (await fetch(`${registryUrl}/subjects/${subject}/versions`)).json()) as number[];
    assert.deepEqual(versions, [1, 2]);
  });

  it('an incompatible new version fails check and register with the reason, and is not registered', async () => {
    // A new required field without a default cannot read data written with v2 (BACKWARD).
    writeFileSync(
      join(dir, subject, 'v3.avsc'),
      record([
        ...base,
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'qty', type: 'int' },
      ]),
    );
    const check = sluice(['schemas', 'check', '-d', dir, '-r', registryUrl]);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /v3\.avsc: not BACKWARD compatible .*qty/);
    const register = sluice(['schemas', 'register', '-d', dir, '-r', registryUrl]);
    assert.equal(register.code, 1);
    assert.match(register.stderr, /^sluice: .*v3\.avsc.*qty/m);
    const versions = (await (await fetch(`${registryUrl}/subjects/${subject}/versions`)).json()) as number[];
    assert.deepEqual(versions, [1, 2]);
  });

  it('types writes TypeScript for the newest version of each subject', () => {
    const out = mkdtempSync(join(tmpdir(), 'sluice-types-'));
    const types = sluice(['schemas', 'types', '-d', dir, '--out', out]);
    assert.equal(types.code, 0, types.stderr);
    const source = readFileSync(join(out, `${subject}.ts`), 'utf8');
    assert.match(source, /export interface Order \{/);
    assert.match(source, /qty: number;/);
  });

  it('a registry that does not answer: one line naming it, exit 1; a bad URL: usage error, exit 2', () => {
    const down = sluice(['schemas', 'diff', '-d', dir, '-r', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^sluice: schema registry http:\/\/127\.0\.0\.1:9 unreachable/m);
    const bad = sluice(['schemas', 'diff', '-d', dir, '-r', 'not a url']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--registry expects an http\(s\) URL/);
  });
});
