import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  configReferenceMarkdown,
  loadConfigFile,
  parseConfig,
  replaceGeneratedSection,
} from '@sluice/config';
import { type ConsumerRuntimeSettings } from '@sluice/connect';
import { ConfigError } from '@sluice/errors';
import { checkSyncSettings } from './postgres-sink';
import { sinkPostgresConnector } from './sink-postgres-connector';

const sinkPostgresAppConfigSchema = sinkPostgresConnector.configSchema;

function assertConfigError(run: () => unknown, path: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    assert.equal(error.path, path, error.message);
    assert.match(error.message, message);
    return true;
  });
}

const root = join(__dirname, '..', '..', '..', '..', '..');

describe('sink-postgres configuration', () => {
  it('defaults every setting but the topics to the local stack', () => {
    const config = parseConfig(
      sinkPostgresAppConfigSchema,
      { topics: ['sluice.public.orders'] },
      { env: {} },
    );
    assert.equal(config.target.port, 5433);
    assert.equal(config.target.database, 'sink');
    assert.equal(config.target.schema, 'public');
    assert.equal(config.conflicts, 'lww');
    assert.equal(config.history, false);
    assert.equal(config.http.port, 8103);
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(config.group, 'sluice-sink-postgres');
    // Typed as every variant of the runtime settings (nested, flat, none) may be.
    const runtime: ConsumerRuntimeSettings = config.runtime;
    assert.equal(runtime.onKeyFailure, 'park');
    assert.equal(runtime.retry, undefined);
    // The stream runtime's own defaults, as before the sink moved onto @sluice/connect.
    assert.equal(config.runtime.fromBeginning, true);
    assert.deepEqual(config.runtime.concurrency, {
      partitions: 4,
      keysPerPartition: 1,
      maxBufferedPerPartition: 256,
    });
    assert.equal(config.runtime.sessionTimeoutMs, 10_000);
    assert.equal(config.runtime.shutdownTimeoutMs, 10_000);
  });

  it('takes retry and onKeyFailure directly under runtime', () => {
    const config = parseConfig(
      sinkPostgresAppConfigSchema,
      { topics: ['t'], runtime: { retry: { maxAttempts: 3 }, onKeyFailure: 'skip' } },
      { env: {} },
    );
    const runtime: ConsumerRuntimeSettings = config.runtime;
    assert.equal(runtime.onKeyFailure, 'skip');
    assert.equal((runtime.retry as { maxAttempts: number }).maxAttempts, 3);
  });

  for (const [yaml, path] of [
    [{}, 'topics'],
    [{ topics: [] }, 'topics'],
    [{ topics: ['t'], conflicts: 'newest' }, 'conflicts'],
    [{ topics: ['t'], target: { schema: 'bad-name' } }, 'target.schema'],
    [{ topics: ['t'], target: { port: 'five' } }, 'target.port'],
    [{ topics: ['t'], target: { ssl: { mode: 'prefer' } } }, 'target.ssl.mode'],
    [{ topics: ['t'], target: { ssl: { mode: 'verify-ca' } } }, 'target.ssl.ca'],
    [{ topics: ['t'], tables: { t: { table: 'a.b.c' } } }, 'tables.t.table'],
    [{ topics: ['t'], tables: { t: { history: 'yes' } } }, 'tables.t.history'],
    [{ topics: ['t'], runtime: { onKeyFailure: 'drop' } }, 'runtime.onKeyFailure'],
    [{ topics: ['t'], runtime: { failure: { onKeyFailure: 'skip' } } }, 'runtime'],
    [{ topics: ['t'], unknownSetting: true }, '(root)'],
    [{ topics: ['t'], sync: { peerSite: 'a' } }, 'sync.site'],
    [{ topics: ['t'], sync: { site: 'b c', peerSite: 'a' } }, 'sync.site'],
    [{ topics: ['t'], sync: { site: 'a', peerSite: 'a' } }, 'sync.peerSite'],
    [{ topics: ['t'], sync: { site: 'b', peerSite: 'a', rule: 'newest' } }, 'sync.rule'],
    [{ topics: ['t'], sync: { site: 'b', peerSite: 'a', rule: 'source-priority' } }, 'sync.prioritySite'],
    [{ topics: ['t'], sync: { site: 'b', peerSite: 'a', prioritySite: 'c' } }, 'sync.prioritySite'],
    [
      { topics: ['t'], sync: { site: 'b', peerSite: 'a', tombstoneRetentionMs: 1000 } },
      'sync.tombstoneRetentionMs',
    ],
    [
      { topics: ['t'], sync: { site: 'b', peerSite: 'a', tombstoneRetentionMs: '7d' } },
      'sync.tombstoneRetentionMs',
    ],
    [{ topics: ['t'], tables: { t: { conflictRule: 'mine' } } }, 'tables.t.conflictRule'],
    // A resolution function: schema-qualified, a plain identifier each, nothing else in the object.
    [
      { topics: ['t'], tables: { t: { conflictRule: { function: 'resolve' } } } },
      'tables.t.conflictRule.function',
    ],
    [
      { topics: ['t'], tables: { t: { conflictRule: { function: 'app.resolve(); drop table x' } } } },
      'tables.t.conflictRule.function',
    ],
    [
      { topics: ['t'], tables: { t: { conflictRule: { function: 'a.b.c' } } } },
      'tables.t.conflictRule.function',
    ],
    [{ topics: ['t'], tables: { t: { conflictRule: { function: 5 } } } }, 'tables.t.conflictRule'],
    [{ topics: ['t'], tables: { t: { conflictRule: { fn: 'app.resolve' } } } }, 'tables.t.conflictRule'],
    [
      { topics: ['t'], tables: { t: { conflictRule: { function: 'app.resolve', returns: 'row' } } } },
      'tables.t.conflictRule',
    ],
    [{ topics: ['t'], tables: { t: { conflictRule: {} } } }, 'tables.t.conflictRule'],
  ] as const) {
    it(`names ${path} when it is malformed`, () => {
      assert.throws(
        () => parseConfig(sinkPostgresAppConfigSchema, yaml, { env: {} }),
        (err: unknown) => err instanceof ConfigError && err.path === path,
      );
    });
  }

  for (const [yaml, path, message] of [
    [
      { topics: ['t'], sync: { site: 'b', peerSite: 'a' } },
      'target.replicationOrigin',
      /needs the sink to write with a replication origin.*echo.*replicationOrigin: true \(origin sluice_g\)/,
    ],
    [
      { topics: ['t'], tables: { t: { conflictRule: 'source-priority' } } },
      'tables.t.conflictRule',
      /needs sync/,
    ],
    [
      {
        topics: ['t'],
        target: { replicationOrigin: true },
        sync: { site: 'b', peerSite: 'a' },
        tables: { t: { conflictRule: 'source-priority' } },
      },
      'tables.t.conflictRule',
      /sync\.prioritySite/,
    ],
  ] as const) {
    it(`refuses a two-way sync setting the schema alone cannot check: ${path}`, () => {
      const config = parseConfig(sinkPostgresAppConfigSchema, { group: 'g', ...yaml }, { env: {} });
      assertConfigError(() => checkSyncSettings(config), path, message);
    });
  }

  it('accepts a two-way sync direction', () => {
    const config = parseConfig(
      sinkPostgresAppConfigSchema,
      { topics: ['t'], target: { replicationOrigin: true }, sync: { site: 'b', peerSite: 'a' } },
      { env: {} },
    );
    assert.deepEqual(config.sync, { site: 'b', peerSite: 'a', rule: 'last-writer-wins' });
    checkSyncSettings(config);
  });

  it('says what a table conflict rule may be when it is none of them', () => {
    for (const conflictRule of ['mine', { fn: 'app.resolve' }, {}, 5])
      assertConfigError(
        () =>
          parseConfig(
            sinkPostgresAppConfigSchema,
            { topics: ['t'], tables: { t: { conflictRule } } },
            { env: {} },
          ),
        'tables.t.conflictRule',
        /expected last-writer-wins, source-priority or \{ function: schema\.name \}/,
      );
  });

  it('accepts a resolution function as a table conflict rule', () => {
    const config = parseConfig(
      sinkPostgresAppConfigSchema,
      {
        topics: ['t'],
        target: { replicationOrigin: true },
        sync: { site: 'b', peerSite: 'a' },
        tables: { t: { conflictRule: { function: 'app.resolve_accounts' } } },
      },
      { env: {} },
    );
    assert.deepEqual(config.tables.t.conflictRule, { function: 'app.resolve_accounts' });
    checkSyncSettings(config);
  });

  it('accepts examples/sink-postgres.yaml', () => {
    const config = loadConfigFile(sinkPostgresAppConfigSchema, join(root, 'examples', 'sink-postgres.yaml'), {
      env: {},
    });
    assert.deepEqual(config.topics, ['sluice.public.orders']);
    assert.deepEqual(config.tables['sluice.public.orders'], { table: 'public.orders', history: true });
    assert.equal(config.http.port, 8103);
  });

  it('is documented by the generated table in docs/sink-postgres.md', () => {
    const doc = readFileSync(join(root, 'docs', 'sink-postgres.md'), 'utf8');
    const fresh = replaceGeneratedSection(doc, configReferenceMarkdown(sinkPostgresAppConfigSchema));
    assert.equal(
      doc,
      fresh,
      'docs/sink-postgres.md is stale: run `node scripts/config-docs.js` after a build',
    );
  });
});
