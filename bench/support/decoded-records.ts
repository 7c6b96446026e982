import { type Kafka } from 'kafkajs';
import { type RangeSpec, readTopicRange, resolveRange } from '@sluice/kafka';
import { type RecordDecoder } from '@sluice/schema';

/**
 * The Avro values of `topic`'s records in `range` (read committed, to the end offsets at the
 * start: under exactly once, commit markers take offsets too) with their record timestamps.
 */
export async function decodedRecords<T>(
  kafka: Kafka,
  decoder: RecordDecoder,
  topic: string,
  range: RangeSpec = {},
): Promise<Array<{ value: T; timestamp: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  let partitions;
  try {
    partitions = await resolveRange(admin, topic, range);
  } finally {
    await admin.disconnect();
  }
  const raw: Array<{ value: Buffer; timestamp: number }> = [];
  await readTopicRange(kafka, {
    topic,
    partitions,
    onBatch: (_partition, records) => {
      for (const { value, timestamp } of records) if (value !== null) raw.push({ value, timestamp });
    },
  });
  const decoded: Array<{ value: T; timestamp: number }> = [];
  for (const { value, timestamp } of raw)
    decoded.push({ value: (await decoder.decode<T>(value)).value, timestamp });
  return decoded;
}
