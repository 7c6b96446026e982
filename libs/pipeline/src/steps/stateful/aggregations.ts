import { Expression, type ExpressionScope } from '../../expression/expression';
import { primitive, nullable } from '../../schema/avro-builder';
import type { AvroType } from '@sluice/schema';

export type AggregationKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'last';

/** The running state of one aggregation in one window (JSON in the store). */
type Acc = number | null | { s: number | null; n: number } | string;

/** One output field of `aggregate`: how it folds a record in and what it emits. */
export class Aggregation {
  private readonly of: Expression | undefined;

  constructor(
    readonly field: string,
    readonly kind: AggregationKind,
    readonly expression: string | undefined,
  ) {
    this.of = expression === undefined ? undefined : Expression.parse(expression);
  }

  get type(): AvroType {
    switch (this.kind) {
      case 'count':
        return primitive('long');
      case 'last':
        return nullable(primitive('string'));
      default:
        return nullable(primitive('double'));
    }
  }

  initial(): Acc {
    switch (this.kind) {
      case 'count':
        return 0;
      case 'avg':
        return { s: 0, n: 0 };
      default:
        return null;
    }
  }

  add(acc: Acc, scope: ExpressionScope): Acc {
    if (this.kind === 'count') return (acc as number) + 1;
    const v = this.of!.valueFor(scope);
    if (this.kind === 'last')
      return v === null || v === undefined
        ? null
        : typeof v === 'string'
          ? v
          : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    const n =
      typeof v === 'number'
        ? v
        : typeof v === 'bigint'
          ? Number(v)
          : typeof v === 'string' && v.trim() !== ''
            ? Number(v)
            : NaN;
    if (v === null || v === undefined || !Number.isFinite(n)) return acc; // nulls and non-numbers are skipped
    switch (this.kind) {
      case 'sum':
        return ((acc as number | null) ?? 0) + n;
      case 'min':
        return acc === null ? n : Math.min(acc as number, n);
      case 'max':
        return acc === null ? n : Math.max(acc as number, n);
      case 'avg': {
        // s null: the sum overflowed (JSON writes Infinity as null); it stays so, and so does the result.
        const a = acc as { s: number | null; n: number };
        return { s: a.s === null ? null : a.s + n, n: a.n + 1 };
      }
    }
    return acc;
  }

  /**
   * What a running state read back from the store should have been, when `acc` is not one this
   * aggregation writes (undefined when it is): a stored window is checked before it is used.
   */
  notAnAcc(acc: unknown): string | undefined {
    switch (this.kind) {
      case 'count':
        return isCount(acc) ? undefined : 'a whole number ≥ 0';
      case 'avg': {
        const a = acc as { s?: unknown; n?: unknown } | null;
        return a !== null &&
          typeof a === 'object' &&
          (typeof a.s === 'number' || a.s === null) &&
          isCount(a.n)
          ? undefined
          : '{ s: <sum>, n: <count> }';
      }
      case 'last':
        return acc === null || typeof acc === 'string' ? undefined : 'a text or null';
      default:
        return acc === null || typeof acc === 'number' ? undefined : 'a number or null';
    }
  }

  result(acc: Acc): number | string | null {
    if (this.kind === 'avg') {
      const a = acc as { s: number | null; n: number };
      return a.n === 0 || a.s === null || !Number.isFinite(a.s) ? null : a.s / a.n;
    }
    return acc as number | string | null;
  }
}

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
