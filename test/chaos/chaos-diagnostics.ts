import { type Kafka } from 'kafkajs';
import { type Client } from 'pg';
import { readTopicRange, resolveRange } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { REPLICA_SCHEMA, type RowDifference } from './chaos-database';
import { OUTPUT_TOPICS, SOURCE_TOPICS } from './chaos-pipeline';

/** The topics a table's rows travel through, source first. */
const TOPICS_OF = {
  customers: [SOURCE_TOPICS.customers],
  orders: [SOURCE_TOPICS.orders, OUTPUT_TOPICS.clean, OUTPUT_TOPICS.cancelled],
  order_items: [SOURCE_TOPICS.orderItems],
} as const;

/**
 * What the pipeline did with a key whose replica row differs from the source: the row on each side,
 * every record of the key in the topics it travels through (op, LSN, status; the transformer's
 * `__op`, `__lsn`, `__deleted`), and the sink's bookkeeping of it (overruled writes, deletions).
 * Gathered before the stack goes away, for the report.
 */
export async function explainDifferences(
  kafka: Kafka,
  registryUrl: string,
  sink: Client,
  differences: readonly RowDifference[],
): Promise<string[]> {
  const decoder = new RecordDecoder(new ConfluentSchemaRegistryClient({ url: registryUrl }));
  const lines: string[] = [];
  for (const d of differences) {
    const key = JSON.stringify(d.key);
    lines.push(`- ${d.table} ${key}: source ${d.source ?? 'absent'}; replica ${d.replica ?? 'absent'}`);
    for (const topic of TOPICS_OF[d.table]) {
      for (const record of await recordsOfKey(kafka, decoder, topic, key))
        lines.push(`  - ${topic} p${record.partition}@${record.offset}: ${record.summary}`);
    }
    const conflicts = await sink
      .query<{
        op: string;
        incoming_lsn: string;
        current_lsn: string;
        topic: string;
        partition: number;
        offset: string;
      }>(
        `SELECT op, incoming_lsn::text, current_lsn::text, topic, "partition", "offset"::text
           FROM ${REPLICA_SCHEMA}.sluice_conflicts WHERE table_name LIKE $1 AND row_key = $2::jsonb ORDER BY id`,
        [`%${d.table}`, key],
      )
      .then((r) => r.rows)
      .catch(() => []);
    for (const c of conflicts)
      lines.push(
        `  - overruled in the sink: ${c.op} from ${c.topic} p${c.partition}@${c.offset}, lsn ${c.incoming_lsn} < stored ${c.current_lsn}`,
      );
    const deletions = await sink
      .query<{ row_key: string; lsn: string }>(
        `SELECT row_key, lsn::text FROM ${REPLICA_SCHEMA}.sluice_deletions
          WHERE table_name LIKE $1 AND row_key IN ($2, $3)`,
        [
          `%${d.table}`,
          JSON.stringify(Object.values(d.key).map(String)),
          JSON.stringify(Object.values(d.key)),
        ],
      )
      .then((r) => r.rows)
      .catch(() => []);
    for (const del of deletions)
      lines.push(`  - deletion remembered by the sink: ${del.row_key} at lsn ${del.lsn}`);
  }
  return lines;
}

async function recordsOfKey(
  kafka: Kafka,
  decoder: RecordDecoder,
  topic: string,
  key: string,
): Promise<{ partition: number; offset: bigint; summary: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const found: { partition: number; offset: bigint; summary: string }[] = [];
  try {
    await readTopicRange(kafka, {
      topic,
      partitions: await resolveRange(admin, topic, {}),
      groupIdPrefix: 'sluice-chaos-diagnostics',
      onBatch: async (partition, records) => {
        for (const r of records) {
          if (r.key === null) continue;
          const decodedKey = (await decoder.decode(r.key)).value;
          if (JSON.stringify(decodedKey) !== key) continue;
          found.push({
            partition,
            offset: r.offset,
            summary: r.value === null ? 'tombstone' : summarise((await decoder.decode(r.value)).value),
          });
        }
      },
    });
  } finally {
    await admin.disconnect();
  }
  return found;
}

function summarise(value: unknown): string {
  const v = value as Record<string, unknown>;
  if ('op' in v && 'source' in v) {
    const row = (v.after ?? v.before) as Record<string, unknown> | null;
    const source = v.source as Record<string, unknown>;
    return `op ${String(v.op)}, lsn ${String(source.lsn)}, txId ${String(source.txId)}${row && 'status' in row ? `, status ${String(row.status)}` : ''}`;
  }
  return `__op ${String(v.__op)}, __lsn ${String(v.__lsn)}, __deleted ${String(v.__deleted)}${'status' in v ? `, status ${String(v.status)}` : ''}`;
}
