import { UnrepresentableValueError } from './unrepresentable-value-error';

/**
 * Postgres array text output (`{1,NULL,"a \"b\""}`, `[0:1]={x,y}`, `{{1,2},{3,4}}`) → its
 * elements' texts, null for NULL. Multi-dimensional arrays are flattened in row-major order (the
 * Avro schema is one-dimensional, as Debezium's). One pass over the characters.
 */
export function parseArrayText(text: string, delimiter = ','): Array<string | null> {
  let i = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    i = text.indexOf('=') + 1;
    if (i === 0) bad(text);
  }
  const out: Array<string | null> = [];
  const n = text.length;
  const delim = delimiter.charCodeAt(0);
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) {
      depth++;
      i++;
    } else if (c === 125 /* } */) {
      depth--;
      i++;
    } else if (c === delim || c === 32) {
      i++;
    } else if (c === 34 /* " */) {
      let value = '';
      let start = ++i;
      for (;;) {
        if (i >= n) bad(text);
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) {
          value += text.slice(start, i);
          i++;
          start = i;
          i++;
        } else if (d === 34) {
          value += text.slice(start, i);
          i++;
          break;
        } else i++;
      }
      out.push(value);
    } else {
      const start = i;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === delim || d === 125) break;
        i++;
      }
      const value = text.slice(start, i);
      out.push(value.length === 4 && value.toUpperCase() === 'NULL' ? null : value);
    }
  }
  if (depth !== 0) bad(text);
  return out;
}

function bad(text: string): never {
  throw new UnrepresentableValueError(
    `Cannot read array value ${JSON.stringify(text.slice(0, 200))}`,
    undefined,
  );
}
