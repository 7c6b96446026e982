/** One row of a side-by-side diff: the left line, the right line, or both when equal. */
export interface DiffRow {
  readonly kind: 'same' | 'added' | 'removed' | 'changed';
  readonly left?: string;
  readonly right?: string;
}

/** Fields of a record schema that one version has and the other has not, or has otherwise. */
export interface FieldChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface SchemaDiff {
  readonly rows: readonly DiffRow[];
  readonly fields: FieldChanges;
}

/**
 * A side-by-side diff of two schema versions: both pretty-printed (2 spaces), lines matched by
 * their longest common subsequence; a removed line facing an added one is a changed row. With the
 * top-level record fields added, removed or changed by name (nested records by dotted path).
 */
export function diffSchemas(left: string, right: string): SchemaDiff {
  const a = pretty(left);
  const b = pretty(right);
  return { rows: sideBySide(a.split('\n'), b.split('\n')), fields: fieldChanges(parse(left), parse(right)) };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function pretty(text: string): string {
  const parsed = parse(text);
  return typeof parsed === 'string' && parsed === text ? text : JSON.stringify(parsed, null, 2);
}

function sideBySide(a: readonly string[], b: readonly string[]): DiffRow[] {
  // LCS table, then walk: runs of removals and additions between equal lines pair up as changes.
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const rows: DiffRow[] = [];
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    const pairs = Math.min(removed.length, added.length);
    for (let k = 0; k < pairs; k++) rows.push({ kind: 'changed', left: removed[k], right: added[k] });
    for (const l of removed.slice(pairs)) rows.push({ kind: 'removed', left: l });
    for (const r of added.slice(pairs)) rows.push({ kind: 'added', right: r });
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      flush();
      rows.push({ kind: 'same', left: a[i], right: b[j] });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) added.push(b[j++]!);
    else removed.push(a[i++]!);
  }
  flush();
  return rows;
}

function fieldChanges(left: unknown, right: unknown): FieldChanges {
  const l = fieldsOf(left);
  const r = fieldsOf(right);
  return {
    added: [...r.keys()].filter((f) => !l.has(f)),
    removed: [...l.keys()].filter((f) => !r.has(f)),
    changed: [...l.keys()].filter((f) => r.has(f) && r.get(f) !== l.get(f)),
  };
}

/**
 * Each field of a record schema (nested records' fields as `outer.inner`, a named record used again
 * by name included) with its type as JSON.
 */
function fieldsOf(
  schema: unknown,
  prefix = '',
  out = new Map<string, string>(),
  named = new Map<string, unknown>(),
): Map<string, string> {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return out;
  const record = schema as { name?: unknown; namespace?: unknown; fields?: unknown };
  if (typeof record.name === 'string') {
    named.set(record.name, schema);
    if (typeof record.namespace === 'string') named.set(`${record.namespace}.${record.name}`, schema);
  }
  if (!Array.isArray(record.fields)) return out;
  for (const field of record.fields as Array<{ name?: unknown; type?: unknown }>) {
    if (typeof field?.name !== 'string') continue;
    const path = `${prefix}${field.name}`;
    const nested = recordIn(field.type, named);
    if (nested) fieldsOf(nested, `${path}.`, out, named);
    else out.set(path, JSON.stringify(field.type));
  }
  return out;
}

/** The record type of a field: itself, a named record referred to by name, or a union's record branch. */
function recordIn(type: unknown, named: ReadonlyMap<string, unknown>): unknown {
  if (Array.isArray(type)) {
    for (const branch of type) {
      const found = recordIn(branch, named);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof type === 'string') return named.get(type);
  return type && typeof type === 'object' && (type as { type?: unknown }).type === 'record'
    ? type
    : undefined;
}
