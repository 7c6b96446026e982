import { type ConnectStage } from '../dead-letter/dead-letter-headers';
import { type StateAccess } from '../state/key-value-store';
import { type StateStoreDeclaration } from '../state/store-engine';
import { type OutputRecord, type StreamRecord } from './stream-record';

/** What the runtime tells a processor about the call it is in. */
export interface ProcessContext {
  /** Fires when the partition is given up (rebalance, shutdown deadline): stop and throw. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt at this record, then 2, 3, ... under the retry policy. */
  readonly attempt: number;
  /**
   * Runs one named stage of the work — decoding (`KEY_CONVERTER`/`VALUE_CONVERTER`), a step
   * (`TRANSFORMATION`), a sink write (`TASK_PUT`) — so a failure there is dead-lettered with that
   * stage and component name. Work outside any stage counts as `TRANSFORMATION` of the processor.
   * Returns what `work` returns: synchronous work's value as it is (no promise, no await needed),
   * asynchronous work's promise.
   */
  stage<T>(stage: ConnectStage, className: string, work: () => T): T;
  /**
   * The partition's state stores, when the processor declared `stateStores`: writes count only if
   * this attempt ends in outputs, and are committed with them (docs/pipelines.md, Stateful steps).
   */
  readonly state?: StateAccess;
}

/**
 * The application's logic for one consumed record: returns the records to produce (possibly none)
 * or throws. `O` is what the partition's delivery takes: Kafka `OutputRecord`s for the two Kafka
 * strategies (the default), a sink's own typed results (e.g. decoded row changes) for a sink's. Throw a `RetriableError` for transient trouble (retried in place under the retry
 * policy), anything else — a `FatalRecordError`, a decode error, a bug — sends the record to the
 * dead-letter topic. A processor must be deterministic enough to be run again: under at-least-once
 * a record can be processed twice, under exactly-once an aborted attempt's outputs are discarded.
 */
export interface RecordProcessor<O = OutputRecord> {
  /** Names the processor in dead-letter headers (`__connect.errors.class.name`). */
  readonly name: string;
  /**
   * The state stores the processor keeps per input partition (each backed by the compacted
   * changelog topic `<group>-<store>-changelog`): a name (in memory) or `{ name, storage }` (`disk`:
   * an LMDB environment under the runtime's `stateDir`). A stateful processor runs one record at a
   * time per partition, in offset order, and needs exactly-once delivery and a single input topic.
   */
  readonly stateStores?: readonly StateStoreDeclaration[];
  process(record: StreamRecord, context: ProcessContext): Promise<readonly O[]> | readonly O[];
}
