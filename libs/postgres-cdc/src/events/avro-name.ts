/**
 * Debezium's `schema.name.adjustment.mode=avro` / `field.name.adjustment.mode=avro`: characters
 * Avro names cannot hold become `_`, and a leading digit gets a `_` in front. Debezium's default
 * (none) would make AvroConverter fail on such a table; Sluice always adjusts.
 */
export function avroName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (i > 0 && c >= 48 && c <= 57);
    out += ok ? name[i] : c >= 48 && c <= 57 ? `_${name[i]}` : '_';
  }
  return out || '_';
}

/** A dotted full name (`prefix.schema.table.Value`) with each part adjusted. */
export function avroFullName(name: string): string {
  return name.split('.').map(avroName).join('.');
}
