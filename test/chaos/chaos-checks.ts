import { type Kafka } from 'kafkajs';
import type { CheckResult } from '@sluice/demo';
import { type RangeRecord, readTopicRange, resolveRange } from '@sluice/kafka';
import { type TableComparison } from './chaos-database';
import { OUTPUT_TOPICS, SINK_GROUP, SOURCE_TOPICS, TRANSFORMER_GROUP } from './chaos-pipeline';

/** Records of a topic from its start to its end offsets, read committed; tombstones counted apart. */
export async function countCommitted(
  kafka: Kafka,
  topic: string,
  each: (record: RangeRecord) => void = () => undefined,
): Promise<{ records: number; tombstones: number } | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    let records = 0;
    let tombstones = 0;
    const result = await readTopicRange(kafka, {
      topic,
      partitions: await resolveRange(admin, topic, {}),
      groupIdPrefix: 'sluice-chaos-check',
      onBatch: (_partition, batch) => {
        records += batch.length;
        tombstones += batch.filter((r) => r.value === null).length;
        batch.forEach(each);
      },
    });
    if (!result.complete) throw new Error(`${topic} could not be read to its end offsets`);
    return { records, tombstones };
  } finally {
    await admin.disconnect();
  }
}

/**
 * The transformer's exactly-once outputs hold exactly one record per input change: unwrap turns
 * every change (deletes rewritten) into one row and drops the tombstones, route only picks the topic.
 * Both sides read committed to their end offsets; a duplicate or a lost output shows as a difference.
 */
export async function checkExactlyOnce(kafka: Kafka): Promise<CheckResult> {
  const input = await countCommitted(kafka, SOURCE_TOPICS.orders);
  const clean = await countCommitted(kafka, OUTPUT_TOPICS.clean);
  const cancelled = await countCommitted(kafka, OUTPUT_TOPICS.cancelled);
  const expected = (input?.records ?? 0) - (input?.tombstones ?? 0);
  const actual = (clean?.records ?? 0) + (cancelled?.records ?? 0);
  return {
    name: 'exactly-once outputs',
    ok: expected === actual && expected > 0,
    detail:
      `${SOURCE_TOPICS.orders}: ${input?.records ?? 0} records (${input?.tombstones ?? 0} tombstones) → expected ${expected} outputs; ` +
      `${OUTPUT_TOPICS.clean} ${clean?.records ?? 0} + ${OUTPUT_TOPICS.cancelled} ${cancelled?.records ?? 0} = ${actual}` +
      (expected === actual
        ? ''
        : ` (${actual > expected ? `${actual - expected} too many` : `${expected - actual} missing`})`),
  };
}

/** Nothing in any dead-letter topic (every fault is transient: nothing may be given up on). */
export async function checkDeadLetters(kafka: Kafka): Promise<CheckResult> {
  const parts: string[] = [];
  let total = 0;
  for (const group of [TRANSFORMER_GROUP, SINK_GROUP]) {
    // Why each record was given up on (Kafka Connect's DLQ headers), counted per stage and error.
    const reasons = new Map<string, { count: number; first: string }>();
    const counted = await countCommitted(kafka, `${group}.dlq`, (r) => {
      const h = (name: string) => {
        const v = r.headers[`__connect.errors.${name}`];
        return (Array.isArray(v) ? v.at(-1) : v)?.toString('utf8') ?? '?';
      };
      const reason = `${h('stage')} ${h('exception.class.name')}: ${h('exception.message')}`.slice(0, 300);
      const seen = reasons.get(reason) ?? {
        count: 0,
        first: `${h('topic')} p${h('partition')}@${h('offset')}`,
      };
      seen.count++;
      reasons.set(reason, seen);
    });
    total += counted?.records ?? 0;
    parts.push(
      `${group}.dlq: ${counted === undefined ? 'no topic' : `${counted.records} records`}` +
        [...reasons].map(([reason, { count, first }]) => ` (${count}x ${reason}; first ${first})`).join(''),
    );
  }
  return { name: 'no dead letters', ok: total === 0, detail: parts.join(', ') };
}

export function replicaChecks(comparisons: readonly TableComparison[]): CheckResult[] {
  return comparisons.map((c) => ({
    name: `replica ${c.table} equals the source`,
    ok: c.equal,
    detail: c.equal
      ? `${c.sourceRows} rows equal`
      : `${c.sourceRows} source rows, ${c.replicaRows} replica rows; ${c.missing} missing or different, ${c.extra} extra; ` +
        c.differences
          .slice(0, 2)
          .map(
            (d) =>
              `key ${JSON.stringify(d.key)}: source ${d.source ?? 'absent'}, replica ${d.replica ?? 'absent'}`,
          )
          .join('; '),
  }));
}
