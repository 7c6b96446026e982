import { keyIdentity, type RecordKey } from '../ordering/record-key';

/**
 * The keys parked under `onKeyFailure: park`. Once a record of a key is dead-lettered, every later
 * record of that key is dead-lettered too, marked as parked behind the failed one, until the key is
 * released — so no later event of a key overtakes an earlier one that failed (PRODUCT.md, order per
 * key). The parked offsets are kept in original order, which is the order to redrive them in.
 *
 * Records without a key have no order to protect and are never parked. The set lives in memory for
 * one partition assignment; `<group>.dlq.parked` (ParkedKeyLog) is the durable record it is
 * restored from.
 */
export class ParkedKeys {
  private readonly parked = new Map<
    string,
    { readonly failedOffset: bigint; readonly offsets: bigint[]; readonly brokenRedrives: Set<string> }
  >();

  /**
   * Parks `key` behind its dead-lettered record at `failedOffset`. False for a null key or a key
   * already parked (its later records are admitted as parked instead).
   */
  park(key: RecordKey, failedOffset: bigint): boolean {
    const id = keyIdentity(key);
    if (id === null || this.parked.has(id)) return false;
    this.parked.set(id, { failedOffset, offsets: [failedOffset], brokenRedrives: new Set() });
    return true;
  }

  /**
   * Routes a record: undefined when its key is not parked (process it), else the offset of the
   * failed record it must wait behind (dead-letter it as parked). Offsets must increase per key.
   */
  admit(key: RecordKey, offset: bigint): bigint | undefined {
    const id = keyIdentity(key);
    const entry = id === null ? undefined : this.parked.get(id);
    if (!entry) return undefined;
    const last = entry.offsets[entry.offsets.length - 1];
    if (offset <= last) throw new RangeError(`offset ${offset} admitted after ${last} for a parked key`);
    entry.offsets.push(offset);
    return entry.failedOffset;
  }

  /**
   * Notes that `offset` of parked `key` was dead-lettered as parked. Idempotent: a batch given up and
   * redone parks the same offsets again.
   */
  noteParked(key: RecordKey, offset: bigint): void {
    const id = keyIdentity(key);
    const entry = id === null ? undefined : this.parked.get(id);
    if (entry && offset > entry.offsets[entry.offsets.length - 1]!) entry.offsets.push(offset);
  }

  /** The offset of the failed record `key` is parked behind, without recording anything; else undefined. */
  behind(key: RecordKey): bigint | undefined {
    const id = keyIdentity(key);
    return id === null ? undefined : this.parked.get(id)?.failedOffset;
  }

  isParked(key: RecordKey): boolean {
    const id = keyIdentity(key);
    return id !== null && this.parked.has(id);
  }

  /**
   * Releases `key`: its next records are processed again. Returns the offsets dead-lettered for it,
   * the failed one first, in original order (empty when it was not parked).
   */
  release(key: RecordKey): bigint[] {
    const id = keyIdentity(key);
    const entry = id === null ? undefined : this.parked.get(id);
    if (!entry || id === null) return [];
    this.parked.delete(id);
    return entry.offsets;
  }

  /**
   * Whether a redriven copy replays `key`'s parked sequence: the key is parked behind the copy's
   * `parkedBehind` and no earlier copy of the same redrive failed (after a failure, the rest of that
   * redrive's copies are parked again, so they never overtake the copy that failed).
   */
  replays(key: RecordKey, redriveId: string, parkedBehind: bigint): boolean {
    const id = keyIdentity(key);
    const entry = id === null ? undefined : this.parked.get(id);
    return entry !== undefined && entry.failedOffset === parkedBehind && !entry.brokenRedrives.has(redriveId);
  }

  /** A copy of redrive `redriveId` failed: its later copies of `key` are parked. */
  breakRedrive(key: RecordKey, redriveId: string): void {
    const id = keyIdentity(key);
    if (id !== null) this.parked.get(id)?.brokenRedrives.add(redriveId);
  }

  /** Undoes `breakRedrive` (its batch was given up). */
  mendRedrive(key: RecordKey, redriveId: string): void {
    const id = keyIdentity(key);
    if (id !== null) this.parked.get(id)?.brokenRedrives.delete(redriveId);
  }

  /**
   * Offsets of `key` parked after `through` while this instance owned the partition: records a
   * redrive that selected up to `through` did not include, so the key cannot be released yet.
   */
  parkedAfter(key: RecordKey, through: bigint): bigint[] {
    const id = keyIdentity(key);
    const entry = id === null ? undefined : this.parked.get(id);
    return entry ? entry.offsets.filter((o) => o > through) : [];
  }

  /** Parked keys now. */
  get size(): number {
    return this.parked.size;
  }
}
