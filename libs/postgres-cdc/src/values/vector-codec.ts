// pgvector values as Debezium writes them (io.debezium.data.vector.*, SchemaFactory's vector
// schemas): `vector` → DoubleVector (array of double), `halfvec` → FloatVector (array of float),
// `sparsevec` → SparseDoubleVector {dimensions int16, vector map int16 → double}. A Connect map
// with non-string keys is written by AvroData as an array of io.confluent.connect.avro.MapEntry.
import { type AvroJson, connectPrimitive, connectRecord } from './avro-json';
import { UnrepresentableValueError } from './unrepresentable-value-error';

const INT16: AvroJson = connectPrimitive('int', { connectType: 'int16' });

export const DOUBLE_VECTOR_SCHEMA: AvroJson = {
  type: 'array',
  items: 'double',
  'connect.version': 1,
  'connect.name': 'io.debezium.data.DoubleVector',
};

export const FLOAT_VECTOR_SCHEMA: AvroJson = {
  type: 'array',
  items: 'float',
  'connect.version': 1,
  'connect.name': 'io.debezium.data.FloatVector',
};

export const SPARSE_DOUBLE_VECTOR_SCHEMA: AvroJson = connectRecord(
  'io.debezium.data.SparseDoubleVector',
  [
    { name: 'dimensions', type: INT16 },
    {
      name: 'vector',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'MapEntry',
          namespace: 'io.confluent.connect.avro',
          fields: [
            { name: 'key', type: INT16 },
            { name: 'value', type: 'double' },
          ],
        },
      },
    },
  ],
  { doc: 'Sparse double vector', version: 1 },
);

function bad(kind: string, text: string): never {
  throw new UnrepresentableValueError(`Cannot read ${kind} value ${JSON.stringify(text)}`, undefined);
}

/** `[1,2.5,3]` (vector and halfvec text output) → the numbers. */
export function parseVector(text: string, kind = 'vector'): number[] {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) bad(kind, text);
  const inner = t.slice(1, -1);
  if (inner.trim() === '') return [];
  return inner.split(',').map((part) => {
    const n = Number(part.trim());
    if (Number.isNaN(n) && part.trim() !== 'NaN') bad(kind, text);
    return n;
  });
}

export interface SparseVectorValue {
  dimensions: number;
  vector: Array<{ key: number; value: number }>;
}

/**
 * `{1:1.5,3:2}/5` (sparsevec text output, 1-based indices as Debezium keeps them) → dimensions and
 * entries. Debezium builds a HashMap<Short, Double>; for the non-negative shorts of a sparsevec
 * its iteration order is ascending, the order pgvector prints.
 */
export function parseSparseVector(text: string): SparseVectorValue {
  const slash = text.lastIndexOf('/');
  if (slash < 0) bad('sparsevec', text);
  const dimensions = Number(text.slice(slash + 1).trim());
  const body = text.slice(0, slash).trim();
  if (!Number.isInteger(dimensions) || !body.startsWith('{') || !body.endsWith('}')) bad('sparsevec', text);
  const inner = body.slice(1, -1).trim();
  const vector: SparseVectorValue['vector'] = [];
  if (inner !== '') {
    for (const element of inner.split(',')) {
      const colon = element.indexOf(':');
      if (colon < 0) bad('sparsevec', text);
      const key = Number(element.slice(0, colon).trim());
      const value = Number(element.slice(colon + 1).trim());
      if (!Number.isInteger(key) || key < -32768 || key > 32767) bad('sparsevec', text);
      vector.push({ key, value });
    }
  }
  vector.sort((a, b) => a.key - b.key);
  return { dimensions, vector };
}
