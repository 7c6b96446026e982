import { type Message } from 'kafkajs';
import { messageBytes } from './replay-record-mapper';

/** Bytes of one partition in one produce request, below the broker's 1 MiB record-batch limit. */
const MAX_PARTITION_BYTES = 768 * 1024;

/** The records of one transaction and the positions they advance, per source partition. */
export class ReplayChunk {
  readonly messages: Message[] = [];
  readonly next = new Map<number, bigint>();
  readonly published = new Map<number, number>();
  readonly skipped = new Map<number, number>();
  readonly startedAt = performance.now();
  records = 0;

  add(sourcePartition: number, offset: bigint, message: Message | undefined): void {
    this.next.set(sourcePartition, offset + 1n);
    this.records++;
    if (message === undefined) {
      this.skipped.set(sourcePartition, (this.skipped.get(sourcePartition) ?? 0) + 1);
      return;
    }
    this.messages.push(message);
    this.published.set(sourcePartition, (this.published.get(sourcePartition) ?? 0) + 1);
  }

  get ageMs(): number {
    return performance.now() - this.startedAt;
  }

  /** The messages cut into requests whose bytes per target partition stay under the broker's limit. */
  requests(): Message[][] {
    const out: Message[][] = [];
    let current: Message[] = [];
    let bytes = new Map<number, number>();
    for (const m of this.messages) {
      const size = messageBytes(m);
      const partition = m.partition ?? -1;
      const sum = (bytes.get(partition) ?? 0) + size;
      if (sum > MAX_PARTITION_BYTES && current.length > 0) {
        out.push(current);
        current = [];
        bytes = new Map();
      }
      current.push(m);
      bytes.set(partition, (bytes.get(partition) ?? 0) + size);
    }
    if (current.length > 0) out.push(current);
    return out;
  }
}
