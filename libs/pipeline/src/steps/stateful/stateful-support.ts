import type { KeyValueStore, StateAccess } from '@sluice/stream';
import { Expression } from '../../expression/expression';
import { StepFailedError } from '../../pipeline/pipeline-errors';
import type { WorkingRecord } from '../../record/pipeline-record';
import { scopeOf } from '../../record/record-scope';

/** The store of a stateful step, or a clear error where the pipeline runs without state. */
export function storeOf(state: StateAccess | undefined, name: string, label: string): KeyValueStore {
  if (!state)
    throw new StepFailedError(
      label,
      `a stateful step needs the partition's state store "${name}" (run it in the transformer or sluice pipeline test)`,
      { code: 'NO_STATE' },
    );
  return state.store(name);
}

/** A value as a stable text (a grouping or dedupe key): strings as they are, the rest as canonical JSON. */
export function keyText(value: unknown): string {
  if (typeof value === 'string') return value;
  return (
    JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (Buffer.isBuffer(v)) return v.toString('base64');
      if (
        v &&
        typeof v === 'object' &&
        (v as { type?: string }).type === 'Buffer' &&
        Array.isArray((v as { data?: unknown }).data)
      )
        return Buffer.from((v as { data: number[] }).data).toString('base64');
      return v;
    }) ?? 'null'
  );
}

/** Reads a record's time (epoch ms) from an expression, or the Kafka record timestamp. */
export class EventTime {
  private readonly expression: Expression | undefined;

  constructor(
    readonly text: string | undefined,
    private readonly label: string,
  ) {
    this.expression = text === undefined ? undefined : Expression.parse(text);
  }

  of(record: WorkingRecord): number {
    if (!this.expression) return record.metadata.timestamp;
    const v = this.expression.valueFor(scopeOf(record));
    const ms =
      typeof v === 'number'
        ? v
        : typeof v === 'bigint'
          ? Number(v)
          : v instanceof Date
            ? v.getTime()
            : typeof v === 'string'
              ? /^-?\d+$/.test(v)
                ? Number(v)
                : Date.parse(v)
              : NaN;
    if (!Number.isFinite(ms))
      throw new StepFailedError(
        this.label,
        `time \`${this.text}\` gave ${JSON.stringify(String(v))}, not a time`,
        {
          code: 'NO_EVENT_TIME',
        },
      );
    return Math.trunc(ms);
  }
}

/** A number kept in a store (text, so a changelog is readable with any console consumer). */
export const numberBytes = (n: number): Buffer => Buffer.from(String(n), 'utf8');
export const bytesNumber = (b: Buffer | undefined): number | undefined =>
  b === undefined ? undefined : Number(b.toString('utf8'));
