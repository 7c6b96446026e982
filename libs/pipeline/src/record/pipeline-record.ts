import type { RecordHeaders } from '@sluice/stream';
import type { DerivedSchema } from '../schema/derived-schema';

/** An input schema as the registry knows it: its global id and its text. */
export interface InputSchema {
  readonly id: number;
  readonly text: string;
}

/** Where a record was read: topic, partition, offset (a string, as Kafka clients give it) and time. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Kafka record timestamp, epoch milliseconds. */
  readonly timestamp: number;
  /** When the record's batch arrived from Kafka (performance.now()); absent outside the runtime. */
  readonly fetchedAt?: number;
}

/**
 * One decoded input record. `value` is null for a tombstone, which then carries no value schema.
 * `keySchema` is absent when the key is not Avro (then the key passes through as it is).
 */
export interface PipelineInput extends RecordMetadata {
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: RecordHeaders;
  readonly keySchema?: InputSchema;
  readonly valueSchema?: InputSchema;
}

/**
 * One output record. `valueSchema` / `keySchema` are the derived Avro schemas the app registers
 * under `<topic>-value` / `<topic>-key` (the same object for every record derived from the same
 * input schemas, so it can be cached by identity); `undefined` when there is nothing to encode
 * with (a tombstone's value, a non-Avro key).
 */
export interface PipelineOutput {
  readonly topic: string;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: RecordHeaders;
  readonly keySchema?: DerivedSchema;
  readonly valueSchema?: DerivedSchema;
}

/**
 * The record as it flows through the steps. Steps never mutate the objects they receive: they
 * return a new record (`{ ...record, value: {...} }`), so the caller's input is untouched.
 * `topic` is the destination chosen so far (undefined: the pipeline's `to`).
 */
export interface WorkingRecord {
  readonly metadata: RecordMetadata;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: RecordHeaders;
  readonly topic?: string;
}

/** What a step makes of one record: the record, several, or none (`null`, dropped). */
export type StepResult = WorkingRecord | readonly WorkingRecord[] | null;
