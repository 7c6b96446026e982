import type { Kafka } from 'kafkajs';
import type { Client } from 'pg';
import { createConsumer } from '@sluice/kafka';
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
    const consumer = createConsumer(kafka, { groupId: `sluice-demo-check-${Date.now()}` });
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

/**
 * The receiver accepted exactly the records of the delivered topic — none missing, none unknown —
 * and no event twice: `bodies` (idempotency key → body digest) holds no body under two keys, which
 * is what a change published twice upstream (a source re-publishing after a crash, each copy a
 * Kafka record and a key of its own) would leave.
 */
export function checkWebhook(
  expected: ReadonlySet<string>,
  accepted: ReadonlySet<string>,
  bodies: ReadonlyMap<string, string> = new Map(),
): CheckResult {
  const missing = [...expected].filter((k) => !accepted.has(k));
  const unknown = [...accepted].filter((k) => !expected.has(k));
  const keysOf = new Map<string, string[]>();
  for (const [key, digest] of bodies) keysOf.set(digest, [...(keysOf.get(digest) ?? []), key]);
  const twice = [...keysOf.values()].filter((keys) => keys.length > 1);
  const ok = missing.length === 0 && unknown.length === 0 && twice.length === 0;
  return {
    name: 'webhook: each event once',
    ok,
    detail: ok
      ? `${expected.size} events, each accepted once`
      : `${expected.size} events in the topic, ${accepted.size} accepted; ${missing.length} missing (e.g. ${missing[0] ?? '-'}), ${unknown.length} unknown` +
        `, ${twice.length} delivered more than once under other keys (e.g. ${twice[0]?.join(' and ') ?? '-'})`,
  };
}

/** What `sluice demo --webhooks` checks at the end: the sender's view, the topic, the table. */
export interface WebhookSourceEvidence {
  /** Event id → type of every event the sender got a 2xx for. */
  readonly acknowledged: ReadonlyMap<string, string>;
  /** Events the sender gave up retrying (their fate is unknown: not counted either way). */
  readonly pending: number;
  /** Deliberate redeliveries, and how many of them were answered `duplicate`. */
  readonly redeliveries: number;
  readonly duplicatesAnswered: number;
  /** Records in the endpoint's topic. */
  readonly topic: string;
  readonly recordsInTopic: number;
  /** The table the pipeline's rows land in, and the event ids in it (one entry per row). */
  readonly table: string;
  readonly tableIds: readonly string[];
  /** The event type the pipeline keeps; the others must not reach the table. */
  readonly keptType: string;
}

/**
 * Every event the sender got a 2xx for is in the endpoint topic once (redeliveries deduplicated by
 * the source) and, when of the kept type, in the table exactly once; nothing else is in the table.
 */
export function checkWebhookSource(e: WebhookSourceEvidence): CheckResult {
  const name = 'webhook source: each acknowledged event once';
  const kept = [...e.acknowledged].filter(([, type]) => type === e.keptType).map(([id]) => id);
  const rows = new Map<string, number>();
  for (const id of e.tableIds) rows.set(id, (rows.get(id) ?? 0) + 1);
  const missing = kept.filter((id) => !rows.has(id));
  const repeated = [...rows].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...rows.keys()].filter((id) => e.acknowledged.get(id) !== e.keptType);
  // A record written whose 2xx the sender never got (it gave up) may be in the topic, never more.
  const topicOk =
    e.recordsInTopic >= e.acknowledged.size && e.recordsInTopic <= e.acknowledged.size + e.pending;
  const ok =
    e.acknowledged.size > 0 &&
    topicOk &&
    missing.length === 0 &&
    repeated.length === 0 &&
    (unexpected.length === 0 || unexpected.length <= e.pending);
  const detail = ok
    ? `${e.acknowledged.size} events acknowledged (${e.duplicatesAnswered}/${e.redeliveries} redeliveries answered duplicate), ` +
      `${e.recordsInTopic} records in ${e.topic}, ${kept.length} ${e.keptType} rows in ${e.table}, each once`
    : e.acknowledged.size === 0
      ? 'the sender got no event acknowledged'
      : `${e.acknowledged.size} acknowledged, ${e.recordsInTopic} records in ${e.topic}` +
        `${topicOk ? '' : ' (expected one per acknowledged event)'}; ${e.table}: ${kept.length} ${e.keptType} expected, ` +
        `${missing.length} missing (e.g. ${missing[0] ?? '-'}), ${repeated.length} repeated, ${unexpected.length} unexpected` +
        (e.pending > 0 ? `; ${e.pending} events never acknowledged` : '');
  return { name, ok, detail };
}
