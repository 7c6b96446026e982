/** What one transaction of a replay accounts for, per source partition. */
export class ReplayChunk {
  readonly next = new Map<number, bigint>();
  readonly published = new Map<number, number>();
  readonly skipped = new Map<number, number>();
  readonly startedAt = performance.now();
  records = 0;

  /** A source record handled: published (true) or skipped (false). */
  add(sourcePartition: number, offset: bigint, published: boolean): void {
    this.next.set(sourcePartition, offset + 1n);
    this.records++;
    const counts = published ? this.published : this.skipped;
    counts.set(sourcePartition, (counts.get(sourcePartition) ?? 0) + 1);
  }

  /** `count` records of one source partition published, the last at `lastOffset`. */
  addPublished(sourcePartition: number, lastOffset: bigint, count: number): void {
    this.next.set(sourcePartition, lastOffset + 1n);
    this.records += count;
    this.published.set(sourcePartition, (this.published.get(sourcePartition) ?? 0) + count);
  }

  get ageMs(): number {
    return performance.now() - this.startedAt;
  }
}
