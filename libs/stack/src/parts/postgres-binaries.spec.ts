import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PostgresBinaries } from './postgres-binaries';

const VERSION = '0.0.0-spec';
// The binaries as locate() finds them, at a folder of the spec's choosing (the constructor is private).
const binariesAt = (binDir: string) =>
  new (PostgresBinaries as unknown as new (binDir: string, version: string) => PostgresBinaries)(
    binDir,
    VERSION,
  );

/** A folder with bin/postgres, the binaries' layout. */
function withPostgres(dir: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o755 });
  return join(dir, 'bin');
}

describe('PostgresBinaries.reachableBy (root runs Postgres as another account)', () => {
  const root = process.getuid?.() === 0;

  it(
    'copies the binaries to a new mkdtemp folder, not to a folder planted at the remembered path',
    { skip: root ? false : 'needs root: the copy is made for another account' },
    () => {
      const home = mkdtempSync(join(tmpdir(), 'sluice-binaries-spec-'));
      chmodSync(home, 0o700); // the account below cannot reach the originals
      const rememberIn = join(home, 'postgres-binaries');
      // Planted by someone else: a folder named like a copy, writable by all, holding "binaries".
      const planted = join(tmpdir(), `sluice-postgres-${VERSION}-planted`);
      withPostgres(planted);
      chmodSync(planted, 0o777);
      writeFileSync(rememberIn, `${planted}\n`);
      const copies: string[] = [];
      try {
        const nobody = { uid: 65534, gid: 65534 };
        const reached = binariesAt(withPostgres(join(home, 'package'))).reachableBy(nobody, rememberIn);
        const copy = dirname(reached.binDir);
        copies.push(copy);
        assert.notEqual(copy, planted, 'the planted folder is not used');
        assert.match(
          basename(copy),
          new RegExp(`^sluice-postgres-${VERSION.replace(/\./g, '\\.')}-[A-Za-z0-9]{6}$`),
        );
        assert.equal(statSync(copy).mode & 0o777, 0o755, 'writable by its owner only');
        assert.equal(readFileSync(rememberIn, 'utf8').trim(), copy, 'the new copy is remembered');
        const again = binariesAt(withPostgres(join(home, 'package'))).reachableBy(nobody, rememberIn);
        assert.equal(again.binDir, reached.binDir, 'its own copy is reused');
      } finally {
        for (const dir of [home, planted, ...copies]) rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
