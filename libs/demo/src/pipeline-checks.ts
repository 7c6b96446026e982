import type { Kafka } from 'kafkajs';
import type { Client } from 'pg';
import { DEMO_TABLES, type DemoTable, type SampleDatabase, tableRows } from './sample-database';

/** The outcome of one end-of-run check. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Every demo table equals its replica, row for row and column for column (the source's columns). */
export async function checkReplica(
  source: SampleDatabase,
  replica: Client,
  replicaTable: (table: DemoTable) => string,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const table of DEMO_TABLES) {
    const columns = await source.columns(table);
    const expected = await tableRows(source.connection, `demo.${table}`, table, columns);
    let actual: string[];
    try {
      actual = await tableRows(replica, replicaTable(table), table, columns);
    } catch (error) {
      results.push({ name: `replica ${table}`, ok: false, detail: (error as Error).message });
      continue;
    }
    const missing = expected.filter((row) => !new Set(actual).has(row));
    const extra = actual.filter((row) => !new Set(expected).has(row));
    results.push({
      name: `replica ${table}`,
      ok: missing.length === 0 && extra.length === 0,
      detail:
        missing.length === 0 && extra.length === 0
          ? `${expected.length} rows equal`
          : `${expected.length} source rows, ${actual.length} replica rows; ${missing.length} differ or missing, e.g. ${missing[0] ?? extra[0]}`,
    });
  }
  return results;
}

/** Coordinates (`topic:partition:offset`) of every committed record of `topic`. */
export async function recordCoordinates(kafka: Kafka, topic: string): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const end = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const start = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    const coordinates = new Set<string>();
    const consumer = kafka.consumer({ groupId: `sluice-demo-check-${Date.now()}`, readUncommitted: false });
    await consumer.connect();
    try {
      const reached = new Map<number, bigint>();
      let lastMessageAt = Date.now();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) coordinates.add(`${topic}:${batch.partition}:${m.offset}`);
          if (batch.messages.length > 0) reached.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
          lastMessageAt = Date.now();
        },
      });
      // Transaction markers take offsets too (the last offset of an exactly-once topic is a commit
      // marker): a partition counts as read within one offset of its end, once nothing new comes.
      const deadline = Date.now() + 60_000;
      const done = () =>
        [...end].every(([p, high]) => high <= start.get(p)! || (reached.get(p) ?? -1n) + 1n >= high) &&
        Date.now() - lastMessageAt > 1500;
      while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      return coordinates;
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
}

/** The receiver accepted exactly the records of the delivered topic: none missing, none unknown. */
export function checkWebhook(expected: ReadonlySet<string>, accepted: ReadonlySet<string>): CheckResult {
  const missing = [...expected].filter((k) => !accepted.has(k));
  const unknown = [...accepted].filter((k) => !expected.has(k));
  return {
    name: 'webhook: each event once',
    ok: missing.length === 0 && unknown.length === 0,
    detail:
      missing.length === 0 && unknown.length === 0
        ? `${expected.size} events, each accepted once`
        : `${expected.size} events in the topic, ${accepted.size} accepted; ${missing.length} missing (e.g. ${missing[0] ?? '-'}), ${unknown.length} unknown`,
  };
}
