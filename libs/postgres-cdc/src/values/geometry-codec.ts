// Geometric values as Debezium writes them (io.debezium.data.geometry.*): Postgres's built-in
// `point` from its text output `(x,y)`, PostGIS `geometry`/`geography` from their text output
// (hex EWKB). Debezium keeps PostGIS's EWKB bytes as the `wkb` and reads the SRID out of them.
import { type AvroJson, connectField, connectRecord } from './avro-json';
import { UnrepresentableValueError } from './unrepresentable-value-error';

/** `io.debezium.data.geometry.Point` (Point.builder(): x, y required; wkb, srid optional). */
export const POINT_SCHEMA: AvroJson = connectRecord(
  'io.debezium.data.geometry.Point',
  [
    { name: 'x', type: 'double' },
    { name: 'y', type: 'double' },
    connectField('wkb', 'bytes', true),
    connectField('srid', 'int', true),
  ],
  { doc: 'Geometry (POINT)', version: 1 },
);

/** `io.debezium.data.geometry.Geometry` (always optional in Connect: Geometry.builder() says so). */
export const GEOMETRY_SCHEMA: AvroJson = connectRecord(
  'io.debezium.data.geometry.Geometry',
  [{ name: 'wkb', type: 'bytes' }, connectField('srid', 'int', true)],
  { doc: 'Geometry', version: 1 },
);

/** `io.debezium.data.geometry.Geography`. */
export const GEOGRAPHY_SCHEMA: AvroJson = connectRecord(
  'io.debezium.data.geometry.Geography',
  [{ name: 'wkb', type: 'bytes' }, connectField('srid', 'int', true)],
  { doc: 'Geography', version: 1 },
);

export interface PointValue {
  x: number;
  y: number;
  wkb: Buffer | null;
  srid: number | null;
}

export interface GeometryValue {
  wkb: Buffer;
  srid: number | null;
}

/** Debezium's Point.buildWKBPoint: byte order 1 (little-endian), type 1, x, y. */
export function pointWkb(x: number, y: number): Buffer {
  const wkb = Buffer.alloc(21);
  wkb.writeUInt8(1, 0);
  wkb.writeInt32LE(1, 1);
  wkb.writeDoubleLE(x, 5);
  wkb.writeDoubleLE(y, 13);
  return wkb;
}

/** point text output `(x,y)` → Debezium's Point {x, y, wkb, srid: null}. */
export function parsePoint(text: string): PointValue {
  const open = text.indexOf('(');
  const comma = text.indexOf(',', open);
  const close = text.indexOf(')', comma);
  const x = Number(text.slice(open + 1, comma));
  const y = Number(text.slice(comma + 1, close));
  if (open < 0 || comma < 0 || close < 0 || text.slice(open + 1, comma).trim() === '') {
    throw new UnrepresentableValueError(`Cannot read point value ${JSON.stringify(text)}`, undefined);
  }
  return { x, y, wkb: pointWkb(x, y), srid: null };
}

const EWKB_SRID_FLAG = 0x20000000;

/** PostGIS hex EWKB → Debezium's Geometry/Geography {wkb: the EWKB bytes, srid from them}. */
export function parseHexEwkb(text: string): GeometryValue {
  const ewkb = Buffer.from(text, 'hex');
  if (ewkb.length < 9 || ewkb.length * 2 !== text.length) {
    throw new UnrepresentableValueError(
      `Cannot read PostGIS value ${JSON.stringify(text)} (expected hex EWKB)`,
      undefined,
    );
  }
  const little = ewkb[0] !== 0;
  const type = little ? ewkb.readUInt32LE(1) : ewkb.readUInt32BE(1);
  const srid = (type & EWKB_SRID_FLAG) !== 0 ? (little ? ewkb.readInt32LE(5) : ewkb.readInt32BE(5)) : null;
  return { wkb: ewkb, srid };
}
