import { type Kafka } from 'kafkajs';
import { connectedProducer } from '@sluice/kafka';
import { headersToMap, redrivenHeaders } from '@sluice/stream';
import { type AuditRecord, encodeAuditRecord } from '../audit/audit-record';
import { type RedriveCopy } from './redrive-plan';

const BATCH = 500;

/**
 * Publishes a redrive's copies and its audit record in one Kafka transaction: consumers (read
 * committed) see the copies exactly when the audit trail records them, and a redrive interrupted
 * half-way leaves neither. The transactional id is stable per group, so two redrives of one group
 * cannot interleave: the later one fences the earlier.
 */
export async function publishRedrive(
  kafka: Kafka,
  group: string,
  copies: readonly RedriveCopy[],
  audit: { readonly topic: string; readonly record: AuditRecord },
): Promise<void> {
  const producer = await connectedProducer(kafka, {
    transactionalId: `sluice.dlq-redrive.${group}`,
    retries: 5,
  });
  try {
    const transaction = await producer.transaction();
    try {
      for (let i = 0; i < copies.length;) {
        const first = copies[i]!;
        const batch: RedriveCopy[] = [];
        // One request per target partition and run, in order: the idempotent producer keeps it.
        while (
          i < copies.length &&
          batch.length < BATCH &&
          copies[i]!.target.topic === first.target.topic &&
          copies[i]!.target.partition === first.target.partition
        )
          batch.push(copies[i++]!);
        await transaction.send({
          topic: first.target.topic,
          acks: -1,
          messages: batch.map((c) => ({
            partition: c.target.partition,
            // The original's time: a consumer ordering by time (LWW) sees the change as old as it is.
            timestamp: String(c.letter.timestamp),
            key: c.letter.key,
            value: c.letter.value,
            headers: headersToMap(redrivenHeaders(c.letter.headers, c.mark)),
          })),
        });
      }
      const { key, value } = encodeAuditRecord(audit.record);
      await transaction.send({ topic: audit.topic, acks: -1, messages: [{ key, value, partition: 0 }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Appends one audit record (a purge). */
export async function appendAudit(kafka: Kafka, topic: string, record: AuditRecord): Promise<void> {
  const producer = await connectedProducer(kafka, { retries: 5 });
  try {
    const { key, value } = encodeAuditRecord(record);
    await producer.send({ topic, acks: -1, messages: [{ key, value, partition: 0 }] });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
