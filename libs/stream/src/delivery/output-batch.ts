import { type Message, type TopicMessages } from 'kafkajs';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { headersToMap } from '../dead-letter/record-headers';
import { type OutputRecord, recordBytes } from '../processor/stream-record';

/**
 * Outputs collected for one produce request, grouped by topic in arrival order (kafkajs keeps the
 * order of messages of one topic-partition within a request, so per-key order holds).
 */
export class OutputBatch {
  private byTopic = new Map<string, Message[]>();
  private count = 0;
  private byteCount = 0;

  get size(): number {
    return this.count;
  }

  /** Key, value and header bytes collected (what the broker's max.message.bytes bounds). */
  get bytes(): number {
    return this.byteCount;
  }

  add(record: OutputRecord): void {
    this.byteCount += recordBytes(record);
    this.push(record.topic, {
      key: record.key,
      value: record.value,
      ...(record.headers && record.headers.length > 0 ? { headers: headersToMap(record.headers) } : {}),
      ...(record.partition !== undefined ? { partition: record.partition } : {}),
    });
  }

  /** Dead letters go to the source record's partition number: the DLQ has as many partitions. */
  addDeadLetter(record: DeadLetterRecord, partition: number): void {
    this.byteCount += recordBytes(record);
    this.push(record.topic, {
      key: record.key,
      value: record.value,
      headers: headersToMap(record.headers),
      partition,
      ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
    });
  }

  /** Takes the collected messages, leaving the batch empty. */
  take(): TopicMessages[] {
    const out = [...this.byTopic].map(([topic, messages]) => ({ topic, messages }));
    this.byTopic = new Map();
    this.count = 0;
    this.byteCount = 0;
    return out;
  }

  private push(topic: string, message: Message): void {
    const list = this.byTopic.get(topic);
    if (list) list.push(message);
    else this.byTopic.set(topic, [message]);
    this.count += 1;
  }
}
