import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError, RetriableError } from '@sluice/errors';
import type { RootDatabase } from 'lmdb';
import { type TopicPartition } from '../delivery/partition-delivery';
import { DiskStoreEngine } from './disk-store-engine';

const LOCK_FILE = '.lock';
/** Directories held by runtimes of this process (a lock file cannot tell two of them apart). */
const held = new Map<string, StateDirectory>();

/**
 * The local folder where a runtime keeps its on-disk state stores: `<dir>/<group>/`, one LMDB
 * environment per assigned partition (`<topic>-<partition>/`, one database per store) — as Kafka
 * Streams' state.dir holds a folder per task. The folder is this process's alone: a lock file with
 * its pid is taken on open, and a second live process given the same directory is refused (give
 * each replica on one machine its own). What a crashed process left is deleted on open and a
 * partition's folder is wiped when the partition is assigned and removed when it is revoked: the
 * changelog topics are the source of truth, the disk only holds what does not fit in memory.
 */
export class StateDirectory {
  private locked = true;
  private standbys = 0;
  /**
   * Its runtime began to stop: a runtime taking the directory meanwhile (a supervisor's next one,
   * the old one's stop past its deadline) waits and retries rather than failing for good.
   */
  stopping = false;

  private constructor(readonly path: string) {}

  /** Takes `<dir>/<group>` for this process and clears what an earlier process left in it. */
  static open(dir: string, group: string): StateDirectory {
    const path = join(dir, encodeURIComponent(group));
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      throw new EnvironmentError(`cannot create the state directory ${path}: ${(error as Error).message}`, {
        cause: error,
        code: 'STATE_DIR',
      });
    }
    const holder = held.get(path);
    if (holder?.stopping)
      throw new RetriableError(
        `the state directory ${path} is still held by a runtime of this process that is stopping`,
        { code: 'STATE_DIR_LOCKED' },
      );
    if (holder !== undefined)
      throw new EnvironmentError(
        `the state directory ${path} is in use by another runtime of this process: give each its own state directory`,
        { code: 'STATE_DIR_LOCKED' },
      );
    lock(join(path, LOCK_FILE));
    const directory = new StateDirectory(path);
    held.set(path, directory);
    for (const entry of readdirSync(path))
      if (entry !== LOCK_FILE) rmSync(join(path, entry), { recursive: true, force: true });
    return directory;
  }

  /**
   * A fresh, empty environment for the stores of `tp` (whatever was in its folder is dropped);
   * `standby`: a warm copy kept for a partition another member owns (a folder of its own,
   * `<topic>-<partition>.standby-<n>`, so it never meets the folder of a closing active copy).
   */
  openPartition(tp: TopicPartition, standby = false): DiskPartition {
    if (!this.locked) throw new Error(`state directory ${this.path} was released`);
    const name = `${tp.topic}-${tp.partition}`;
    const folder = join(this.path, standby ? `${name}.standby-${++this.standbys}` : name);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    return new DiskPartition(folder);
  }

  /** Gives the directory up (the runtime stopped); the partitions' folders are gone by then. */
  release(): void {
    if (!this.locked) return;
    this.locked = false;
    held.delete(this.path);
    rmSync(join(this.path, LOCK_FILE), { force: true });
    // The group's folder goes too once nothing is left in it (a stopped pipeline leaves no trace).
    try {
      rmdirSync(this.path);
    } catch {
      // Not empty (a partition still closing), or gone: left as it is.
    }
  }
}

/** The LMDB environment of one assigned partition's on-disk stores. */
/**
 * lmdb-js, loaded on the first on-disk store: loading it maps its native library and allocates a
 * 16 MiB read buffer, which every app that keeps no state on disk (sources, sinks, most
 * transformers) would otherwise carry.
 */
function lmdb(): typeof import('lmdb') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a store is on disk
  return require('lmdb') as typeof import('lmdb');
}

export class DiskPartition {
  private readonly env: RootDatabase;
  private readonly engines = new Map<string, DiskStoreEngine>();
  private destroyed: Promise<void> | undefined;

  constructor(readonly folder: string) {
    try {
      this.env = lmdb().open({
        path: folder,
        // A folder, whatever its name: lmdb-js takes a path with a dot (topic names have them) for a file.
        noSubdir: false,
        // Rebuilt from the changelog on every assignment: durability of its own would only cost fsyncs.
        noSync: true,
        maxDbs: 64,
      });
    } catch (error) {
      throw new EnvironmentError(
        `cannot open the on-disk state stores in ${folder}: ${(error as Error).message}`,
        { cause: error, code: 'STATE_DIR' },
      );
    }
  }

  engine(store: string): DiskStoreEngine {
    let engine = this.engines.get(store);
    if (!engine) {
      const db = this.env.openDB<Buffer, Buffer>({ name: store, encoding: 'binary', keyEncoding: 'binary' });
      engine = new DiskStoreEngine(store, db);
      this.engines.set(store, engine);
    }
    return engine;
  }

  /** Closes the environment and deletes its folder (the partition was revoked, or the runtime stopped). */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      // A close that never settles must not hold up a rebalance: the folder goes either way.
      await Promise.race([this.env.close().catch(() => undefined), delay(5_000)]);
      rmSync(this.folder, { recursive: true, force: true });
    })();
    return this.destroyed;
  }
}

function lock(file: string): void {
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(file, 'utf8').trim());
  // A pid equal to ours is a previous life of this process (a restarted container): stale.
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
    throw new EnvironmentError(
      `the state directory ${file.slice(0, -LOCK_FILE.length - 1)} is in use by process ${holder}: ` +
        'give each transformer on this machine its own state directory (stateDir)',
      { code: 'STATE_DIR_LOCKED' },
    );
  writeFileSync(file, String(process.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
