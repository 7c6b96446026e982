// `sluice debezium translate` as a user runs it: a Debezium Postgres connector's Kafka Connect JSON
// becomes a source-postgres configuration the app accepts (YAML with what was not translated as
// comments, or JSON); a file that is not JSON, or another connector, is one clear error, exit 1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sourcePostgresConnector } from '@sluice/postgres-cdc';
import { jsonOutput, runSluice } from '@sluice/test-support';

const dir = mkdtempSync(join(tmpdir(), 'sluice-debezium-'));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const connector = file(
  'inventory.json',
  JSON.stringify({
    name: 'inventory',
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'database.hostname': 'db.internal',
      'database.port': '5432',
      'database.user': 'debezium',
      'database.password': '${PG_PASSWORD}',
      'database.dbname': 'inventory',
      'topic.prefix': 'shop',
      'table.include.list': 'public\\.orders,public\\.customers',
      'decimal.handling.mode': 'string',
      transforms: 'unwrap',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    },
  }),
);

describe('sluice debezium translate', () => {
  it('writes a source-postgres configuration the app accepts, what it left out as comments', () => {
    const out = join(dir, 'source.yaml');
    const run = runSluice(['debezium', 'translate', connector, '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), out);
    assert.match(run.stderr, /2 setting\(s\) not translated/);
    const yaml = readFileSync(out, 'utf8');
    assert.match(yaml, /^# not translated: transforms\.unwrap\.type=.* — .*unwrap step/m);
    const config = parse(yaml) as Record<string, unknown>;
    assert.deepEqual(config['tables'], { include: ['public.orders', 'public.customers'] });
    assert.equal((config['postgres'] as { port: number }).port, 5432);
    const parsed = sourcePostgresConnector.configSchema.safeParse(config);
    assert.equal(parsed.success, true, JSON.stringify(parsed.error?.issues));

    const json = jsonOutput<{ untranslated: { key: string }[] }>(
      runSluice(['debezium', 'translate', connector, '-o', 'json']),
    );
    assert.deepEqual(json.untranslated.map((u) => u.key).sort(), ['transforms', 'transforms.unwrap.type']);

    // --out with -o json: the YAML is written all the same, the JSON printed.
    const both = join(dir, 'source-and-json.yaml');
    const printed = jsonOutput<{ config: unknown }>(
      runSluice(['debezium', 'translate', connector, '--out', both, '-o', 'json']),
    );
    assert.deepEqual(parse(readFileSync(both, 'utf8')), printed.config);
  });

  it('a file that is not JSON, or another connector class, exits 1 naming what is wrong', () => {
    const notJson = runSluice(['debezium', 'translate', file('broken.json', '{"config": ')]);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /^sluice: \S+broken\.json is not JSON/m);
    const mysql = runSluice([
      'debezium',
      'translate',
      file('mysql.json', JSON.stringify({ 'connector.class': 'io.debezium.connector.mysql.MySqlConnector' })),
    ]);
    assert.equal(mysql.code, 1);
    assert.match(
      mysql.stderr,
      /connector\.class is io\.debezium\.connector\.mysql\.MySqlConnector; only .*PostgresConnector/,
    );
  });
});
