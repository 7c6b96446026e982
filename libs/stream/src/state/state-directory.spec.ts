import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError, RetriableError } from '@sluice/errors';
import { StateDirectory } from './state-directory';

describe('StateDirectory', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-state-dir-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("takes <dir>/<group> with a lock holding the process id, clears an earlier process's leftovers, and releases", () => {
    const leftover = join(root, 'g1', 'in-3');
    mkdirSync(leftover, { recursive: true });
    writeFileSync(join(leftover, 'data.mdb'), 'old');
    const directory = StateDirectory.open(root, 'g1');
    assert.equal(directory.path, join(root, 'g1'));
    assert.equal(readFileSync(join(root, 'g1', '.lock'), 'utf8'), String(process.pid));
    assert.equal(existsSync(leftover), false, 'what a crashed process left is gone');
    directory.release();
    assert.equal(existsSync(join(root, 'g1')), false, 'lock and emptied folder gone');
    StateDirectory.open(root, 'g1').release();
  });

  it('refuses a directory another runtime of this process holds, or a live process holds; takes over a dead one', () => {
    const held = StateDirectory.open(root, 'g2');
    assert.throws(
      () => StateDirectory.open(root, 'g2'),
      (e: unknown) =>
        e instanceof EnvironmentError && e.code === 'STATE_DIR_LOCKED' && /in use/.test(e.message),
    );
    // Held by a runtime that is stopping (a supervisor's next one comes before the old one let go): retried.
    held.stopping = true;
    assert.throws(
      () => StateDirectory.open(root, 'g2'),
      (e: unknown) =>
        e instanceof RetriableError && e.code === 'STATE_DIR_LOCKED' && /stopping/.test(e.message),
    );
    held.release();
    StateDirectory.open(root, 'g2').release();

    const parent = process.ppid; // alive for as long as this test runs
    mkdirSync(join(root, 'g3'), { recursive: true });
    writeFileSync(join(root, 'g3', '.lock'), String(parent));
    assert.throws(
      () => StateDirectory.open(root, 'g3'),
      (e: unknown) =>
        e instanceof EnvironmentError &&
        e.message.includes(`in use by process ${parent}`) &&
        e.message.includes('its own state directory'),
    );

    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(join(root, 'g3', '.lock'), dead);
    const taken = StateDirectory.open(root, 'g3');
    assert.equal(readFileSync(join(root, 'g3', '.lock'), 'utf8'), String(process.pid));
    taken.release();
  });

  it("a partition's folder starts empty on assignment and is removed when the partition is destroyed", async () => {
    const directory = StateDirectory.open(root, 'g4');
    const tp = { topic: 'demo.public.orders', partition: 1 }; // a dotted name, as most topics
    const first = directory.openPartition(tp);
    first.engine('s').write([['a', Buffer.from('1')]]);
    await first.destroy();
    assert.equal(existsSync(join(root, 'g4', 'demo.public.orders-1')), false, 'removed on revocation');

    const again = directory.openPartition(tp);
    again.engine('s').write([['b', Buffer.from('2')]]);
    // A crash leaves the folder; the next assignment starts from nothing (the changelog rebuilds it).
    const fresh = directory.openPartition(tp);
    assert.equal(fresh.engine('s').size, 0);
    assert.deepEqual(readdirSync(join(root, 'g4')).sort(), ['.lock', 'demo.public.orders-1']);
    await again.destroy();
    await fresh.destroy();
    directory.release();
  });
});
