import { z } from 'zod';
import type { KeyValueStore, StateAccess, StoreStorage } from '@sluice/stream';
import { Expression } from '../../expression/expression';
import type { StepResult, WorkingRecord } from '../../record/pipeline-record';
import { scopeOf } from '../../record/record-scope';
import type { StreamSchemas } from '../../schema/derived-schema';
import { duration, expressionText, storeName, storeStorage } from '../config-fields';
import { type Step, stepDefinition } from '../step';
import { bytesNumber, EventTime, keyText, numberBytes, storeOf } from './stateful-support';

/** Where the store keeps the partition's stream time (the latest record time seen); never a dedupe key. */
const STREAM_TIME = '\u0000stream-time';

const configSchema = z.strictObject({
  key: expressionText(
    'What identifies a duplicate, e.g. after.id or "[after.id, after.version]". Default: the record key.',
  ).optional(),
  within: duration(
    'A record is dropped when a record with the same key was let through less than this long before it (by `time`), e.g. 10m.',
  ),
  time: expressionText(
    'The record time in epoch ms, e.g. source.ts_ms. Default: the Kafka record timestamp ($timestamp).',
  ).optional(),
  store: storeName
    .optional()
    .describe(
      'The state store (its changelog topic is <groupId>-<store>-changelog). Default dedupe-<step index>.',
    ),
  storage: storeStorage,
});

/**
 * Drops a record whose key (or `key` expression) was let through within `within` before it. The
 * first record of a key opens the window; duplicates inside it do not extend it. Keys are kept per
 * input partition in a state store backed by a compacted changelog in the pipeline's transaction,
 * so after a crash or a rebalance a duplicate is still recognised (exactly once). Entries older
 * than `within` (by the partition's stream time) are deleted as time passes. Tombstones pass.
 */
export class DedupeStep implements Step {
  readonly stores: readonly string[];

  constructor(
    private readonly key: Expression | undefined,
    private readonly within: number,
    private readonly time: EventTime,
    private readonly store: string,
    private readonly label: string,
    readonly storage?: StoreStorage,
  ) {
    this.stores = [store];
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    return input;
  }

  apply(record: WorkingRecord, state?: StateAccess): StepResult {
    const store = storeOf(state, this.store, this.label);
    const at = this.time.of(record);
    this.advance(store, at);
    const id = 'k' + keyText(this.key ? this.key.valueFor(scopeOf(record)) : record.key);
    const seen = bytesNumber(store.get(id));
    if (seen !== undefined && at - seen < this.within) return null;
    store.put(id, numberBytes(at));
    return record;
  }

  /** Moves the stream time; each time it enters a new `within` period, expired keys are deleted. */
  private advance(store: KeyValueStore, at: number): void {
    const before = bytesNumber(store.get(STREAM_TIME));
    if (before !== undefined && at <= before) return;
    store.put(STREAM_TIME, numberBytes(at));
    const period = Math.max(1, this.within);
    if (before === undefined || Math.floor(before / period) === Math.floor(at / period)) return;
    for (const [key, value] of store.entries()) {
      if (key === STREAM_TIME) continue;
      if (at - Number(value.toString('utf8')) >= this.within) store.delete(key);
    }
  }
}

export const dedupeStep = stepDefinition({
  name: 'dedupe',
  summary:
    'Drops records whose key (or `key` expression) was already let through within a time window. Stateful: the ' +
    'keys seen are kept per input partition in a state store (in memory, or on disk with `storage: disk`) backed by a compacted changelog topic ' +
    '(`<groupId>-<store>-changelog`) written in the same Kafka transaction as the outputs and offsets, so a ' +
    'duplicate is recognised across kill -9 and rebalances. Needs mode exactly-once and one input topic.',
  configSchema,
  example: 'dedupe:\n  key: after.order_id\n  within: 10m\n  time: source.ts_ms',
  fromConfig: (cfg, context) =>
    new DedupeStep(
      cfg.key === undefined ? undefined : Expression.parse(cfg.key),
      cfg.within,
      new EventTime(cfg.time, context.label),
      cfg.store ?? `dedupe-${context.index}`,
      context.label,
      cfg.storage,
    ),
});
