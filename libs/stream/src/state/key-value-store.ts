/**
 * What a stateful processor sees of one named state store of the partition its record came from:
 * a key/value map. Writes made while a record is processed count only if the record's work ends in
 * outputs (not a retry, not a dead letter); they reach the store's changelog topic in the same Kafka
 * transaction as the outputs and the input offset (see PartitionState).
 */
export interface KeyValueStore {
  get(key: string): Buffer | undefined;
  put(key: string, value: Buffer): void;
  delete(key: string): void;
  /** Every live entry (the record's own writes included), in no particular order. */
  entries(): IterableIterator<[string, Buffer]>;
}

/** The state stores a record's work may use, by name (those the processor declared). */
export interface StateAccess {
  store(name: string): KeyValueStore;
}

/** One write to a store, as its changelog records it: `value` null deletes the key (a tombstone). */
export interface StateChange {
  readonly store: string;
  readonly key: string;
  readonly value: Buffer | null;
}

/** Where the restore of one store of one assigned partition stands (/status, metrics). */
export interface StoreRestoreProgress {
  readonly store: string;
  readonly changelog: string;
  readonly partition: number;
  /** Changelog records read so far. */
  readonly restoredRecords: number;
  /** End offset minus start offset of the changelog partition when the restore began. */
  readonly totalRecords: number;
  readonly done: boolean;
  /** Restore duration in milliseconds, once done. */
  readonly durationMs?: number;
}
