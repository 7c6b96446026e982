import type { AvroSchema } from '../avro/avro-type';
import { canonicalForm } from '../avro/canonical-avro-schema';
import { parseAvroSchema } from '../avro/parse-avro-schema';
import type { CompatibilityLevel } from './compatibility-level';
import { formatIncompatibility, type SchemaRoles } from './incompatibility';
import { ReaderWriterChecker } from './reader-writer-checker';

export interface CompatibilityResult {
  readonly compatible: boolean;
  /**
   * Empty when compatible. Otherwise Confluent's verbose messages for the first previous schema
   * (newest first) the candidate fails against: one `{errorType:..., description:...,
   * additionalInfo:...}` per incompatibility, then `{oldSchemaVersion: n}` (when versions were
   * given), `{oldSchema: '...'}` and `{compatibility: 'LEVEL'}`, as Confluent lists them.
   */
  readonly messages: string[];
}

export interface CompatibilityOptions {
  /** Registry version numbers of `previous`, same order, for the `{oldSchemaVersion: n}` message. */
  readonly versions?: readonly number[];
}

const BACKWARD: SchemaRoles = { reader: 'new', writer: 'old' };
const FORWARD: SchemaRoles = { reader: 'old', writer: 'new' };

/**
 * Checks `candidate` against `previous` (oldest → newest) at `level`. Non-transitive levels look at
 * the newest previous schema only; transitive ones at all of them, newest first, stopping at the
 * first that fails, as Confluent does. Throws `InvalidSchemaError` when any schema is not valid Avro.
 */
export function checkCompatibility(
  candidate: string,
  previous: readonly string[],
  level: CompatibilityLevel,
  options: CompatibilityOptions = {},
): CompatibilityResult {
  const next = parseAvroSchema(candidate);
  if (level === 'NONE' || previous.length === 0) return { compatible: true, messages: [] };
  const transitive = level.endsWith('_TRANSITIVE');
  const directions = level.startsWith('BACKWARD')
    ? [BACKWARD]
    : level.startsWith('FORWARD')
      ? [FORWARD]
      : [BACKWARD, FORWARD];
  const indexes = previous.map((_, i) => i).reverse();
  for (const index of transitive ? indexes : indexes.slice(0, 1)) {
    const old = parseAvroSchema(previous[index]);
    const messages = directions.flatMap((roles) => differences(next, old, roles));
    if (messages.length > 0) {
      const version = options.versions?.[index];
      if (version !== undefined) messages.push(`{oldSchemaVersion: ${version}}`);
      messages.push(`{oldSchema: '${canonicalForm(old.type)}'}`, `{compatibility: '${level}'}`);
      return { compatible: false, messages };
    }
  }
  return { compatible: true, messages: [] };
}

function differences(next: AvroSchema, old: AvroSchema, roles: SchemaRoles): string[] {
  const [reader, writer] = roles.reader === 'new' ? [next, old] : [old, next];
  const found = new ReaderWriterChecker().check(reader.type, writer.type);
  return [...new Set(found.map((inc) => formatIncompatibility(inc, roles)))];
}
