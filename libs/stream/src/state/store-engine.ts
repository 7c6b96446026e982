/** Where a state store keeps its committed entries: in the process's memory, or on local disk (LMDB). */
export type StoreStorage = 'memory' | 'disk';

/** A state store a processor declares: its name and where its entries live. */
export interface StateStoreSpec {
  readonly name: string;
  /** Default memory. */
  readonly storage?: StoreStorage;
}

/** A declared store: a name alone is a memory store. */
export type StateStoreDeclaration = string | StateStoreSpec;

export function storeSpec(declaration: StateStoreDeclaration): Required<StateStoreSpec> {
  return typeof declaration === 'string'
    ? { name: declaration, storage: 'memory' }
    : { name: declaration.name, storage: declaration.storage ?? 'memory' };
}

/**
 * The committed entries of one store of one assigned partition — what its changelog holds, read
 * committed. Two implementations: MemoryStoreEngine (a Map) and DiskStoreEngine (an LMDB
 * database, for state larger than memory). Neither is durable on its own account: the changelog
 * topic is the source of truth, and a partition's engines are rebuilt from it on assignment.
 * Synchronous, as the steps that read a store are.
 */
export interface StoreEngine {
  /** Entries held. */
  readonly size: number;
  get(key: string): Buffer | undefined;
  /** Every entry, in no particular order. */
  entries(): IterableIterator<[string, Buffer]>;
  /** Applies writes as one unit (a batch's commit, a fetched slice of a restore); null deletes. */
  write(changes: Iterable<readonly [string, Buffer | null]>): void;
  /** Forgets every entry (before a restore). */
  clear(): void;
  /**
   * Throws when `key` cannot be stored. Called when a record writes the key, so that record
   * fails (and is dead-lettered) rather than the batch's commit.
   */
  checkKey(key: string): void;
}
