import { avroTypeLabel, type AvroType, type NamedType, type RecordType } from '../avro/avro-type';
import { describeLogicalType } from '../avro/logical-type-rules';
import type { Incompatibility } from './incompatibility';

/**
 * Decides whether data written with `writer` can be read with `reader`, by the schema-resolution
 * rules of the Avro specification, reporting every incompatibility found (not just the first) with
 * the types and locations Apache Avro's Java `SchemaCompatibility` uses:
 *
 * - same primitive: fine. Promotions: int → long, float, double; long → float, double;
 *   float → double; string ↔ bytes. Anything else between different types: TYPE_MISMATCH.
 * - records: same unqualified name (or a reader alias names the writer); each reader field is
 *   matched to the writer field of the same name or of one of its aliases; a reader field without
 *   a writer field needs a default (READER_FIELD_MISSING_DEFAULT_VALUE). Writer fields the reader
 *   lacks are skipped, so removing a field is always readable.
 * - enums: writer symbols the reader lacks are MISSING_ENUM_SYMBOLS unless the reader has a
 *   `default` symbol to read them as. fixed: names and sizes must match. arrays and maps: items
 *   and values are resolved recursively.
 * - a writer union: every branch must be readable by the reader (the path names the branch
 *   index). A reader union against a non-union writer: some branch must read it, else
 *   MISSING_UNION_BRANCH. So widening `string` to `["null","string"]` is readable, narrowing not.
 * - logical types are checked on their underlying type, as Avro and Confluent do: `date` reads
 *   as int, `timestamp-millis` and `timestamp-micros` are both long and so "compatible" though
 *   their units differ. The one exception is decimal: the specification says two decimals match
 *   only if scale and precision both match, because a reader with another scale silently reads a
 *   different number. Java Avro (and so Confluent) skip that rule; Sluice applies it and reports
 *   TYPE_MISMATCH naming both decimals.
 *
 * Recursive types: a (reader, writer) pair already being checked higher up the stack is assumed
 * compatible (as Java Avro does) and finished pairs are memoised, so cycles terminate.
 */
export class ReaderWriterChecker {
  private readonly memo = new Map<AvroType, Map<AvroType, readonly Incompatibility[] | 'in-progress'>>();

  check(reader: AvroType, writer: AvroType): readonly Incompatibility[] {
    return this.resolve(reader, writer, []);
  }

  private resolve(
    reader: AvroType,
    writer: AvroType,
    path: readonly (string | number)[],
  ): readonly Incompatibility[] {
    let byWriter = this.memo.get(reader);
    if (!byWriter) this.memo.set(reader, (byWriter = new Map()));
    const known = byWriter.get(writer);
    if (known === 'in-progress') return [];
    if (known) return known;
    byWriter.set(writer, 'in-progress');
    const result = this.compute(reader, writer, path);
    byWriter.set(writer, result);
    return result;
  }

  private compute(reader: AvroType, writer: AvroType, path: readonly (string | number)[]): Incompatibility[] {
    if (writer.kind === 'union') {
      return writer.branches.flatMap((branch, i) => this.resolve(reader, branch, [...path, i]));
    }
    if (reader.kind === 'union') {
      const readable = reader.branches.some((branch) => this.resolve(branch, writer, path).length === 0);
      return readable
        ? []
        : [issue('MISSING_UNION_BRANCH', path, `reader union lacking writer type: ${avroTypeLabel(writer)}`)];
    }
    switch (reader.kind) {
      case 'primitive': {
        if (writer.kind !== 'primitive' || !promotes(writer.name, reader.name))
          return [mismatch(reader, writer, path)];
        return decimalMismatch(reader, writer, path);
      }
      case 'array':
        return writer.kind === 'array'
          ? [...this.resolve(reader.items, writer.items, [...path, 'items'])]
          : [mismatch(reader, writer, path)];
      case 'map':
        return writer.kind === 'map'
          ? [...this.resolve(reader.values, writer.values, [...path, 'values'])]
          : [mismatch(reader, writer, path)];
      case 'fixed': {
        if (writer.kind !== 'fixed') return [mismatch(reader, writer, path)];
        const issues = nameIssues(reader, writer, path);
        if (reader.size !== writer.size) {
          issues.push(
            issue(
              'FIXED_SIZE_MISMATCH',
              [...path, 'size'],
              `expected: ${writer.size}, found: ${reader.size}`,
            ),
          );
        }
        return [...issues, ...decimalMismatch(reader, writer, path)];
      }
      case 'enum': {
        if (writer.kind !== 'enum') return [mismatch(reader, writer, path)];
        const issues = nameIssues(reader, writer, path);
        const missing = writer.symbols.filter((s) => !reader.symbols.includes(s)).sort();
        if (missing.length > 0 && reader.default === undefined) {
          issues.push(issue('MISSING_ENUM_SYMBOLS', [...path, 'symbols'], `[${missing.join(', ')}]`));
        }
        return issues;
      }
      case 'record':
        return writer.kind === 'record'
          ? [...nameIssues(reader, writer, path), ...this.fields(reader, writer, path)]
          : [mismatch(reader, writer, path)];
    }
  }

  private fields(
    reader: RecordType,
    writer: RecordType,
    path: readonly (string | number)[],
  ): Incompatibility[] {
    const issues: Incompatibility[] = [];
    for (const field of reader.fields) {
      const fieldPath = [...path, 'fields', field.position];
      const source =
        writer.fields.find((w) => w.name === field.name) ??
        writer.fields.find((w) => field.aliases.includes(w.name));
      if (source) {
        issues.push(...this.resolve(field.type, source.type, [...fieldPath, 'type']));
      } else if (field.default === undefined) {
        issues.push(issue('READER_FIELD_MISSING_DEFAULT_VALUE', fieldPath, field.name));
      }
    }
    return issues;
  }
}

const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  bytes: ['string'],
  string: ['bytes'],
};

/** Whether a value written as `writer` can be read as `reader`. */
function promotes(writer: string, reader: string): boolean {
  return writer === reader || (PROMOTIONS[reader]?.includes(writer) ?? false);
}

function nameIssues(
  reader: NamedType,
  writer: NamedType,
  path: readonly (string | number)[],
): Incompatibility[] {
  const matches =
    reader.name === writer.name ||
    reader.aliases.some((alias) => alias === writer.fullName || unqualified(alias) === writer.name);
  return matches ? [] : [issue('NAME_MISMATCH', [...path, 'name'], `expected: ${writer.fullName}`)];
}

function decimalMismatch(
  reader: AvroType,
  writer: AvroType,
  path: readonly (string | number)[],
): Incompatibility[] {
  if (!('logicalType' in reader) || !('logicalType' in writer)) return [];
  const r = reader.logicalType;
  const w = writer.logicalType;
  if (
    r?.name !== 'decimal' ||
    w?.name !== 'decimal' ||
    (r.precision === w.precision && r.scale === w.scale)
  ) {
    return [];
  }
  return [
    issue(
      'TYPE_MISMATCH',
      path,
      `reader type: ${avroTypeLabel(reader)} ${describeLogicalType(r)} not compatible with writer type: ` +
        `${avroTypeLabel(writer)} ${describeLogicalType(w)} (decimal precision and scale must not change)`,
    ),
  ];
}

function mismatch(reader: AvroType, writer: AvroType, path: readonly (string | number)[]): Incompatibility {
  return issue(
    'TYPE_MISMATCH',
    path,
    `reader type: ${avroTypeLabel(reader)} not compatible with writer type: ${avroTypeLabel(writer)}`,
  );
}

function issue(
  type: Incompatibility['type'],
  path: readonly (string | number)[],
  message: string,
): Incompatibility {
  return { type, location: `/${path.join('/')}`, message };
}

function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}
