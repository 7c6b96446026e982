import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import type { SchemaRegistryClient } from '@sluice/schema';
import { sourceConfigSchema, type SourceConfigInput } from '../config/source-config';
import { Lsn } from '../lsn/lsn';
import { PostgresSession } from '../replication/postgres-session';
import { ReplicationConnection } from '../replication/replication-connection';
import type { ReplicationSlotState } from '../replication/replication-slot';
import { TypeCatalog } from '../types/type-catalog';
import { compileSourceConfig } from './compile-source-config';
import { SourceOffset } from './source-offset';
import { SourceRun } from './source-run';
import { SourceSetup } from './source-setup';

/** A connection that records its close; its queries (and slot creation) never answer: Postgres hangs. */
class ConnectionDouble {
  closed = false;
  query(): Promise<never> {
    return new Promise(() => undefined);
  }
  createSlot(): Promise<never> {
    return new Promise(() => undefined);
  }
  async startReplication() {
    return { stop: async () => undefined };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const slot = { confirmedFlushLsn: Lsn.parse('0/16B3748') } as ReplicationSlotState;

/**
 * A SourceRun over doubles: Postgres sessions and replication connections from `connect` (each
 * connect answers when the test says), Kafka clients that do nothing, setup and catalog skipped.
 */
function runOver(input: SourceConfigInput, slotState: ReplicationSlotState | undefined) {
  const connects: Array<{ name: string; answer: (connection: ConnectionDouble) => void }> = [];
  const connect = (name: string) =>
    new Promise<ConnectionDouble>((answer) => connects.push({ name, answer }));
  mock.method(PostgresSession, 'connect', (_: unknown, name: string) => connect(name));
  mock.method(ReplicationConnection, 'connect', () => connect('replication'));
  mock.method(SourceSetup.prototype, 'selectTables', async () => []);
  mock.method(SourceSetup.prototype, 'prepare', async () => slotState);
  mock.method(TypeCatalog, 'load', async () => ({}));
  const client = { connect: async () => undefined, disconnect: async () => undefined };
  // At least once: no offsets topic to read before the run reaches Postgres again.
  const config = sourceConfigSchema.parse({ delivery: { guarantee: 'at-least-once' }, ...input });
  const run = new SourceRun({
    config,
    compiled: compileSourceConfig(config),
    deps: {
      kafka: { admin: () => client, producer: () => client } as unknown as Kafka,
      registry: {} as SchemaRegistryClient,
      log: { info() {}, warn() {}, error() {} },
    },
    control: { whilePaused: () => undefined, enter() {} },
    offset: new SourceOffset(),
    subjectGenerations: new Map(),
    listener: { onCaptured() {}, onOpened() {}, onEvents() {}, onAcknowledged() {} },
  });
  /** The n-th connect (1-based), once the run asked for it. */
  const connected = async (n: number) => {
    while (connects.length < n) await new Promise((r) => setTimeout(r, 1));
    return connects[n - 1];
  };
  return { run, connected };
}

describe('SourceRun', () => {
  afterEach(() => mock.restoreAll());

  it('abandoned while the incremental snapshot loads its state: its session is closed', async () => {
    const { run, connected } = runOver({ signals: { table: 'public.sluice_signal' } }, slot);
    const life = run.run();
    (await connected(1)).answer(new ConnectionDouble());
    (await connected(2)).answer(new ConnectionDouble());
    const incremental = await connected(3);
    assert.equal(incremental.name, 'sluice-incremental-snapshot');
    const session = new ConnectionDouble();
    incremental.answer(session);
    await new Promise((r) => setImmediate(r));
    assert.equal(run.interrupt(new Error('stalled')), true);
    await assert.rejects(life, /stalled/);
    assert.equal(session.closed, true, 'the session opened for the incremental snapshot is closed');
  });

  it('abandoned while the slot creator (snapshot mode never) connects: the connection is closed when it answers', async () => {
    const { run, connected } = runOver({ snapshot: { mode: 'never' } }, undefined);
    const life = run.run();
    (await connected(1)).answer(new ConnectionDouble());
    const creating = await connected(2);
    assert.equal(creating.name, 'replication');
    assert.equal(run.interrupt(new Error('stalled')), true);
    await assert.rejects(life, /stalled/);
    const creator = new ConnectionDouble();
    creating.answer(creator);
    await new Promise((r) => setImmediate(r));
    assert.equal(creator.closed, true, 'the slot creator connection of the abandoned run is closed');
  });
});
