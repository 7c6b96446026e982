import { z } from 'zod';
import { counter } from '@sluice/observability';
import type { KeyValueStore, StateAccess, StoreStorage } from '@sluice/stream';
import { Expression } from '../../expression/expression';
import { StepFailedError } from '../../pipeline/pipeline-errors';
import type { StepResult, WorkingRecord } from '../../record/pipeline-record';
import { scopeOf } from '../../record/record-scope';
import { addedField, type FieldSpec, newRecord, primitive } from '../../schema/avro-builder';
import type { StreamSchemas } from '../../schema/derived-schema';
import { duration, expressionText, fieldName, storeName, storeStorage } from '../config-fields';
import { type Step, stepDefinition } from '../step';
import { Aggregation, type AggregationKind } from './aggregations';
import { EventTime, keyText, storeOf } from './stateful-support';
import { closesBetween, isClosed, type WindowSpec, windowsOf } from './windows';

/**
 * A record whose every window was already closed (its end plus the grace period is behind the
 * partition's stream time): it is dead-lettered with this class, never silently dropped.
 */
export class LateRecordError extends StepFailedError {
  constructor(step: string, message: string) {
    super(step, message, { code: 'LATE_RECORD' });
  }
}

/**
 * A value of the step's store that the step could not have written (a foreign or corrupt changelog
 * record restored into it, or a window of an aggregation whose kind changed since). The record that
 * needs it is dead-lettered with this class, naming the store, the key and what is wrong; records of
 * other windows and groups go on. Repeated for every record while the value stays: it is never read
 * as something else.
 */
export class StoredStateError extends StepFailedError {
  constructor(step: string, store: string, key: string, stored: string, fault: string) {
    super(
      step,
      `state store "${store}" holds ${excerpt(stored)} under key ${JSON.stringify(key)}, which ${fault}: ` +
        'not a value this step writes (a foreign or corrupt changelog record, or a window of an aggregation ' +
        "whose kind changed). Delete the key from the store's changelog (a tombstone) or reset the store, " +
        'then redrive these dead letters',
      { code: 'STATE_VALUE_INVALID' },
    );
  }
}

/** A stored value as an error shows it: JSON text, cut after 200 characters. */
const excerpt = (text: string): string => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);

// docs/metrics.md. A step has no logger: what it drops without a dead letter is counted.
const malformedWindowsDropped = counter({
  name: 'sluice_aggregate_malformed_windows_dropped_total',
  help: 'Windows of an aggregate step deleted at their close without a result: their stored value was malformed.',
  labelNames: ['step'],
});

const STREAM_TIME = '\u0000stream-time';
const WINDOW_PREFIX = 'w|';

const KINDS = ['sum', 'min', 'max', 'avg', 'last'] as const;
const aggregationSpec = z.union([
  z.literal('count'),
  z
    .strictObject(
      Object.fromEntries(KINDS.map((k) => [k, expressionText(`The value to ${k}.`).optional()])) as Record<
        (typeof KINDS)[number],
        z.ZodOptional<z.ZodString>
      >,
    )
    .refine((o) => Object.values(o).filter((v) => v !== undefined).length === 1, {
      message: 'give exactly one of sum, min, max, avg, last with its expression',
    }),
]);

const configSchema = z
  .strictObject({
    groupBy: expressionText(
      'The group of a record, e.g. after.customer_id. Default: the record key. Groups are aggregated per input ' +
        'partition: group by something the input is partitioned by (the key), or re-key first.',
    ).optional(),
    time: expressionText(
      'The event time in epoch ms, e.g. source.ts_ms. Default: the Kafka record timestamp.',
    ).optional(),
    window: z
      .strictObject({
        size: duration('Window length, e.g. 1m.'),
        advance: duration(
          'Hopping windows: distance between window starts (less than size). Default size (tumbling).',
        ).optional(),
        grace: duration('How long after its end a window still takes late records. Default 0.').default(0),
      })
      .describe('Windows on event time, aligned to the epoch.'),
    aggregations: z
      .record(fieldName, aggregationSpec)
      .refine((r) => Object.keys(r).length > 0, 'give at least one aggregation')
      .describe('Output field → `count`, or `{ sum | min | max | avg | last: <expression> }`.'),
    emit: z
      .enum(['final', 'updates'])
      .default('final')
      .describe(
        'final: one result per window and group once the window closed (stream time past end + grace); ' +
          'updates: the current result after every record. Default final.',
      ),
    name: fieldName
      .default('Aggregate')
      .describe('The output record name (namespace sluice.aggregate). Default Aggregate.'),
    store: storeName.optional().describe('The state store. Default aggregate-<step index>.'),
    storage: storeStorage,
  })
  .superRefine((c, ctx) => {
    if (c.window.size <= 0)
      ctx.addIssue({ code: 'custom', path: ['window', 'size'], message: 'must be more than 0' });
    const advance = c.window.advance ?? c.window.size;
    if (advance <= 0 || advance > c.window.size)
      ctx.addIssue({
        code: 'custom',
        path: ['window', 'advance'],
        message: 'must be more than 0 and at most size',
      });
  });

type Accs = Record<string, unknown>;

/**
 * Windowed aggregation per group on event time (Kafka Streams' windowedBy + aggregate + suppress):
 * each record is folded into its tumbling or hopping windows in the input partition's state store;
 * the stream time is the latest event time seen in the partition. With `emit: final` a window's
 * results are emitted once (when the stream time passes its end plus grace) and the window is
 * forgotten; with `updates` after each record. A record whose windows are all closed goes to the DLQ
 * (LateRecordError). The input record itself is consumed; outputs are keyed by group and window.
 *
 * Stored values are checked as they are read back (StoredStateError, code STATE_VALUE_INVALID): a
 * malformed stream time dead-letters every record of the partition (none can be placed in time),
 * a malformed window the records folded into it; when it closes it is deleted without a result,
 * so it never holds back the records that move the stream time.
 */
export class AggregateStep implements Step {
  readonly stores: readonly string[];

  constructor(
    private readonly groupBy: Expression | undefined,
    private readonly time: EventTime,
    private readonly window: WindowSpec,
    private readonly aggregations: readonly Aggregation[],
    private readonly emit: 'final' | 'updates',
    private readonly recordName: string,
    private readonly store: string,
    private readonly label: string,
    readonly storage?: StoreStorage,
  ) {
    this.stores = [store];
  }

  deriveSchema(): StreamSchemas {
    const fields: FieldSpec[] = [
      { name: 'group', type: primitive('string') },
      { name: 'window_start', type: primitive('long'), doc: 'epoch ms, inclusive' },
      { name: 'window_end', type: primitive('long'), doc: 'epoch ms, exclusive' },
      { name: 'final', type: primitive('boolean'), doc: 'true: the window closed and this is its result' },
      ...this.aggregations.map((a) =>
        a.kind === 'count' ? { name: a.field, type: a.type } : addedField(a.field, a.type),
      ),
    ];
    return {
      key: newRecord(`sluice.aggregate.${this.recordName}Key`, [
        { name: 'group', type: primitive('string') },
        { name: 'window_start', type: primitive('long') },
      ]),
      value: newRecord(`sluice.aggregate.${this.recordName}`, fields),
    };
  }

  apply(record: WorkingRecord, state?: StateAccess): StepResult {
    const store = storeOf(state, this.store, this.label);
    const at = this.time.of(record);
    const before = this.streamTime(store);
    const streamTime = before === undefined ? at : Math.max(before, at);
    if (before === undefined || streamTime > before) store.put(STREAM_TIME, Buffer.from(String(streamTime)));
    const scope = scopeOf(record);
    const group = keyText(this.groupBy ? this.groupBy.valueFor(scope) : record.key);

    const open = windowsOf(this.window, at).filter((start) => !isClosed(this.window, start, streamTime));
    if (open.length === 0)
      throw new LateRecordError(
        this.label,
        `record at ${new Date(at).toISOString()} is later than the grace period of its window(s): stream time ` +
          `${new Date(streamTime).toISOString()}, grace ${this.window.grace} ms`,
      );
    const updates: WorkingRecord[] = [];
    for (const start of open) {
      const key = windowKey(start, group);
      const raw = store.get(key);
      const accs = raw === undefined ? this.initial() : this.windowState(key, raw);
      if (accs instanceof StoredStateError) throw accs;
      for (const a of this.aggregations) accs[a.field] = a.add(accs[a.field] as never, scope);
      store.put(key, Buffer.from(JSON.stringify(accs), 'utf8'));
      if (this.emit === 'updates') updates.push(this.result(record, group, start, accs, false));
    }
    // Windows the stream time closed: emitted (final) and forgotten, ahead of this record's updates.
    // Last, so a record that fails closes nothing (its state is discarded; a later record closes them).
    const outputs: WorkingRecord[] = [];
    if (before !== undefined && streamTime > before && closesBetween(this.window, before, streamTime))
      outputs.push(...this.closeWindows(store, streamTime, record));
    outputs.push(...updates);
    return outputs.length === 0 ? null : outputs;
  }

  /** Tombstones carry nothing to aggregate. */
  applyTombstone(): StepResult {
    return null;
  }

  private closeWindows(store: KeyValueStore, streamTime: number, record: WorkingRecord): WorkingRecord[] {
    const closed: Array<{ key: string; start: number; group: string; value: Buffer }> = [];
    for (const [key, value] of store.entries()) {
      if (!key.startsWith(WINDOW_PREFIX)) continue;
      const bar = key.indexOf('|', WINDOW_PREFIX.length);
      const start = Number(key.slice(WINDOW_PREFIX.length, bar));
      if (!isClosed(this.window, start, streamTime)) continue;
      closed.push({ key, start, group: key.slice(bar + 1), value });
    }
    closed.sort((a, b) => a.start - b.start || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
    for (const c of closed) store.delete(c.key);
    if (this.emit === 'updates') return [];
    // A malformed window has no result; failing this record for it would fail every record that
    // moves the stream time, for good. Its delete (a tombstone in the changelog) removes it.
    return closed.flatMap((c) => {
      const accs = this.windowState(c.key, c.value);
      if (!(accs instanceof StoredStateError)) return [this.result(record, c.group, c.start, accs, true)];
      malformedWindowsDropped.inc({ step: this.label });
      return [];
    });
  }

  /** The partition's stream time, checked: a malformed one would close no window, silently. */
  private streamTime(store: KeyValueStore): number | undefined {
    const raw = store.get(STREAM_TIME);
    if (raw === undefined) return undefined;
    const text = raw.toString('utf8');
    const time = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(time))
      throw new StoredStateError(
        this.label,
        this.store,
        STREAM_TIME,
        text,
        'is not a stream time (epoch ms)',
      );
    return time;
  }

  /**
   * A window's running state as stored, or why it is not one this step writes. An aggregation the
   * stored window lacks starts from its initial value (the aggregation was added since it began).
   */
  private windowState(key: string, raw: Buffer): Accs | StoredStateError {
    const text = raw.toString('utf8');
    const invalid = (fault: string) => new StoredStateError(this.label, this.store, key, text, fault);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return invalid('is not JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return invalid('is not a JSON object');
    const accs = parsed as Accs;
    for (const a of this.aggregations) {
      // Missing: an aggregation added since the window began. A null count: what versions before
      // this check wrote in that case (undefined + 1 = NaN, JSON null); they counted on from 0 too.
      if (accs[a.field] === undefined || (a.kind === 'count' && accs[a.field] === null))
        accs[a.field] = a.initial();
      const expected = a.notAnAcc(accs[a.field]);
      if (expected !== undefined) return invalid(`has a malformed ${a.field} (${a.kind}: ${expected})`);
    }
    return accs;
  }

  private initial(): Accs {
    return Object.fromEntries(this.aggregations.map((a) => [a.field, a.initial()]));
  }

  private result(
    record: WorkingRecord,
    group: string,
    start: number,
    accs: Accs,
    final: boolean,
  ): WorkingRecord {
    const value: Record<string, unknown> = {
      group,
      window_start: start,
      window_end: start + this.window.size,
      final,
    };
    for (const a of this.aggregations) value[a.field] = a.result(accs[a.field] as never);
    return { metadata: record.metadata, key: { group, window_start: start }, value, headers: [] };
  }
}

const windowKey = (start: number, group: string): string => `${WINDOW_PREFIX}${start}|${group}`;

function aggregationsOf(cfg: z.output<typeof configSchema>['aggregations']): Aggregation[] {
  return Object.entries(cfg).map(([field, spec]) => {
    if (spec === 'count') return new Aggregation(field, 'count', undefined);
    const [kind, expression] = Object.entries(spec).find(([, v]) => v !== undefined)! as [
      AggregationKind,
      string,
    ];
    return new Aggregation(field, kind, expression);
  });
}

export const aggregateStep = stepDefinition({
  name: 'aggregate',
  summary:
    'Windowed aggregation per group on event time: tumbling or hopping windows with a grace period; count, sum, ' +
    'min, max, avg, last; emits each window once when it closes (`emit: final`) or after every record ' +
    '(`updates`). Records later than the grace period go to the DLQ (`LateRecordError`). Output key ' +
    '`{group, window_start}`, value `{group, window_start, window_end, final, <aggregations>}`. Stateful, per ' +
    'input partition (group by the key, or re-key first); state in memory or on disk (`storage`), backed by a compacted changelog in ' +
    "the pipeline's transaction. Needs mode exactly-once and one input topic.",
  configSchema,
  example:
    'aggregate:\n  groupBy: after.customer_id\n  time: source.ts_ms\n  window: { size: 1m, grace: 10s }\n' +
    '  aggregations:\n    orders: count\n    revenue: { sum: after.total }\n    biggest: { max: after.total }\n  emit: final',
  fromConfig: (cfg, context) =>
    new AggregateStep(
      cfg.groupBy === undefined ? undefined : Expression.parse(cfg.groupBy),
      new EventTime(cfg.time, context.label),
      { size: cfg.window.size, advance: cfg.window.advance ?? cfg.window.size, grace: cfg.window.grace },
      aggregationsOf(cfg.aggregations),
      cfg.emit,
      cfg.name,
      cfg.store ?? `aggregate-${context.index}`,
      context.label,
      cfg.storage,
    ),
});
