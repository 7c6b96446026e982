import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { columnTypeFor } from '../mapping/column-type';
import { parseAvroSchema } from '@sluice/schema';
import { type TargetTable } from '../plan/row-change';
import { deleteStatement, truncateStatement, upsertStatement } from './change-statements';
import { bookkeepingTables } from '../target/bookkeeping';

const type = (t: unknown) => columnTypeFor(parseAvroSchema(JSON.stringify(t)).type);
const id = { name: 'id', type: type('long') };
const table: TargetTable = {
  schema: 'app',
  name: 'odd "name"',
  qualified: '"app"."odd ""name"""',
  keyColumns: [id],
  columns: [
    id,
    { name: 'total', type: type(['null', 'double']) },
    { name: 'note', type: type(['null', 'string']) },
  ],
  signature: 'x',
  options: { history: false, merge: false },
};
const books = bookkeepingTables('sluice');

describe('sink statements', () => {
  it('upsert: one unnest of text[] per column, cast per column type, keyed ON CONFLICT', () => {
    const sql = upsertStatement(table, books, false);
    assert.match(
      sql,
      /unnest\(\$1::text\[\], \$2::text\[\], \$3::text\[\], \$4::text\[\], \$5::text\[\], \$6::text\[\]\)/,
    );
    assert.match(sql, /u\.c0::bigint, u\.c1::double precision, u\.c2::text/);
    assert.match(
      sql,
      /ON CONFLICT \("id"\) DO UPDATE SET "total" = EXCLUDED\."total", "note" = EXCLUDED\."note"/,
    );
    assert.doesNotMatch(sql, /sluice_deletions/);
  });

  it('lww upsert: updates only when the stored position is not newer, returns the overruled rows', () => {
    const sql = upsertStatement(table, books, true);
    assert.match(
      sql,
      /WHERE \(coalesce\(cur\."__sluice_lsn", -1\), coalesce\(cur\."__sluice_ts_ms", -1\)\) <= \(coalesce\(EXCLUDED\."__sluice_lsn", -1\), coalesce\(EXCLUDED\."__sluice_ts_ms", -1\)\)/,
    );
    assert.match(
      sql,
      /NOT EXISTS \(SELECT 1 FROM "sluice"\."sluice_deletions" d WHERE d\.table_name = 'app\.odd "name"'/,
    );
    assert.match(sql, /SELECT u\.__ord AS ord/);
  });

  it('merge: an update sets only the masked columns (an insert still writes all)', () => {
    const sql = upsertStatement(table, books, false, [false, false, true]);
    assert.match(sql, /DO UPDATE SET "note" = EXCLUDED\."note", "__sluice_lsn"/);
    assert.match(sql, /INSERT INTO "app"\."odd ""name""" AS cur \("id", "total", "note"/);
  });

  it('delete by key; lww keeps newer rows and remembers the deletion', () => {
    assert.match(
      deleteStatement(table, books, false),
      /DELETE FROM "app"\."odd ""name""" cur USING u WHERE cur\."id" = u\.c0::bigint$/,
    );
    const sql = deleteStatement(table, books, true);
    assert.match(sql, /INSERT INTO "sluice"\."sluice_deletions"/);
    assert.match(sql, /RETURNING u\.__ord/);
  });

  it('truncate under lww deletes only rows not newer than the truncate', () => {
    assert.equal(truncateStatement(table, false), 'DELETE FROM "app"."odd ""name"""');
    assert.match(
      truncateStatement(table, true),
      /<= \(coalesce\(\$1::bigint, -1\), coalesce\(\$2::bigint, -1\)\)$/,
    );
  });
});
