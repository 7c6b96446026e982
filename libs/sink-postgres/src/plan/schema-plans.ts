import {
  type AvroType,
  LoadingCache,
  parseAvroSchema,
  type RecordType,
  type SchemaRegistryClient,
} from '@sluice/schema';
import { columnTypeFor } from '../mapping/column-type';
import { UnsupportedRecordError } from '../sink-errors';
import { type ColumnPlan } from './row-change';

/** The columns a record schema (a key, or a row) writes, decided once per schema id. */
export interface RowPlan {
  readonly schemaId: number;
  readonly columns: readonly ColumnPlan[];
  /** Column names and types: schema ids with the same columns write alike. */
  readonly signature: string;
}

/**
 * Fields an unwrapped row may carry from the transformer's `unwrap` step (`addFields`, `deletes:
 * rewrite`, default prefix `__`): they say what the change is and where it sits in its source, and
 * are not written as columns.
 */
export interface UnwrappedMetadata {
  /** `__deleted` ("true" on a rewritten delete). */
  readonly deleted?: string;
  /** `__op`. */
  readonly op?: string;
  /** `__lsn` or `__source_lsn`. */
  readonly lsn?: string;
  /** `__source_ts_ms`, else `__ts_ms`. */
  readonly tsMs?: string;
}

/** A value schema: a Debezium envelope (op/before/after/source) or the row itself (unwrapped). */
export interface ValuePlan extends RowPlan {
  readonly envelope: boolean;
  /** Unwrapped rows: the metadata fields present. */
  readonly metadata: UnwrappedMetadata;
}

const METADATA: Record<keyof UnwrappedMetadata, readonly string[]> = {
  deleted: ['__deleted'],
  op: ['__op'],
  lsn: ['__lsn', '__source_lsn'],
  tsMs: ['__source_ts_ms', '__ts_ms'],
};

/**
 * Schema texts fetched from the registry once per id and turned into column plans once: per record
 * only a map lookup. A schema that cannot be a row (not a record) is an UnsupportedRecordError.
 */
export class SchemaPlans {
  private readonly keys = new LoadingCache<number, RowPlan>();
  private readonly values = new LoadingCache<number, ValuePlan>();

  constructor(private readonly registry: SchemaRegistryClient) {}

  keyPlan(schemaId: number): RowPlan | Promise<RowPlan> {
    return this.keys.get(schemaId, async () => {
      const type = parseAvroSchema(await this.registry.schemaById(schemaId)).type;
      if (type.kind !== 'record')
        throw new UnsupportedRecordError(
          `key schema ${schemaId} is ${type.kind}, not a record of key columns`,
        );
      return rowPlan(schemaId, type);
    });
  }

  valuePlan(schemaId: number): ValuePlan | Promise<ValuePlan> {
    return this.values.get(schemaId, async () => {
      const type = parseAvroSchema(await this.registry.schemaById(schemaId)).type;
      if (type.kind !== 'record')
        throw new UnsupportedRecordError(`value schema ${schemaId} is ${type.kind}, not a record`);
      const row = envelopeRow(type);
      if (row) return { ...rowPlan(schemaId, row), envelope: true, metadata: {} };
      const names = new Set(type.fields.map((f) => f.name));
      const metadata: Record<string, string> = {};
      for (const [role, candidates] of Object.entries(METADATA)) {
        const found = candidates.find((name) => names.has(name));
        if (found) metadata[role] = found;
      }
      const skipped = new Set(Object.values(METADATA).flat());
      return {
        ...rowPlan(schemaId, type, (name) => !skipped.has(name)),
        envelope: false,
        metadata: metadata as UnwrappedMetadata,
      };
    });
  }
}

/** The row type of a Debezium envelope (`after`'s record), or undefined when `type` is no envelope. */
export function envelopeRow(type: RecordType): RecordType | undefined {
  const names = new Set(type.fields.map((f) => f.name));
  if (!names.has('op') || !names.has('after') || !names.has('before')) return undefined;
  const after = type.fields.find((f) => f.name === 'after')!.type;
  const record = nonNull(after);
  return record?.kind === 'record' ? record : undefined;
}

function nonNull(type: AvroType): AvroType | undefined {
  if (type.kind !== 'union') return type;
  const branches = type.branches.filter((b) => !(b.kind === 'primitive' && b.name === 'null'));
  return branches.length === 1 ? branches[0] : undefined;
}

function rowPlan(schemaId: number, type: RecordType, keep: (field: string) => boolean = () => true): RowPlan {
  const columns = type.fields
    .filter((field) => keep(field.name))
    .map((field) => {
      try {
        return { name: field.name, type: columnTypeFor(field.type) };
      } catch (error) {
        throw new UnsupportedRecordError(
          `schema ${schemaId} field ${field.name} has no column type: ${(error as Error).message}`,
        );
      }
    });
  return { schemaId, columns, signature: columns.map((c) => `${c.name}:${c.type.pgType}`).join(',') };
}
