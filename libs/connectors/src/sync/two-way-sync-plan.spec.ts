/* eslint-disable @typescript-eslint/no-explicit-any -- the derived configurations are plain YAML trees, read as such */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { planTwoWaySync } from './two-way-sync-plan';

const doc = (overrides: Record<string, unknown> = {}) => ({
  name: 'orders',
  sites: {
    eu: { postgres: { host: 'eu.db', user: 'sluice', password: '${EU_PASSWORD}', database: 'app' } },
    us: {
      postgres: { host: 'us.db', port: 6432, user: 'sluice', password: '${US_PASSWORD}', database: 'app' },
    },
  },
  tables: ['public.orders', 'public.customers'],
  ...overrides,
});

function assertRefused(raw: unknown, path: string, message: RegExp): void {
  assert.throws(
    () => planTwoWaySync(raw, 'sync.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.path, path, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('planTwoWaySync', () => {
  it('expands two databases into a source and a sink per site, loop-free', () => {
    const apps = planTwoWaySync(
      doc({ rule: 'source-priority', prioritySite: 'eu', merge: true, tombstoneRetentionMs: 604_800_000 }),
    );
    assert.deepEqual(
      apps.map((a) => `${a.app} ${a.name}`),
      [
        'source-postgres source-eu',
        'sink-postgres sink-us-to-eu',
        'source-postgres source-us',
        'sink-postgres sink-eu-to-us',
      ],
    );
    const [sourceEu, sinkIntoEu, sourceUs, sinkIntoUs] = apps.map((a) => a.config as Record<string, any>);
    assert.equal(sourceEu.topicPrefix, 'orders.eu');
    assert.deepEqual(sourceEu.events, { skipOrigins: 'all' });
    assert.deepEqual(sourceEu.slot, { name: 'orders_eu' });
    assert.deepEqual(sourceEu.columns, {
      exclude: ['public.orders.__sluice_*', 'public.customers.__sluice_*'],
    });
    // Secrets stay placeholders; the sync document's default port is written out.
    assert.equal(sourceEu.postgres.password, '${EU_PASSWORD}');
    assert.equal(sourceEu.postgres.port, 5432);
    assert.equal(sourceUs.postgres.port, 6432);
    assert.deepEqual(sinkIntoEu.topics, ['orders.us.public.orders', 'orders.us.public.customers']);
    assert.equal(sinkIntoEu.group, 'orders.us-to-eu');
    assert.equal(sinkIntoEu.target.host, 'eu.db');
    assert.equal(sinkIntoEu.target.replicationOrigin, true);
    assert.deepEqual(sinkIntoEu.sync, {
      site: 'eu',
      peerSite: 'us',
      rule: 'source-priority',
      prioritySite: 'eu',
      tombstoneRetentionMs: 604_800_000,
    });
    assert.equal(sinkIntoEu.merge, true);
    assert.deepEqual(sinkIntoEu.tables['orders.us.public.orders'], { table: 'public.orders' });
    assert.deepEqual(sinkIntoUs.sync, {
      site: 'us',
      peerSite: 'eu',
      rule: 'source-priority',
      prioritySite: 'eu',
      tombstoneRetentionMs: 604_800_000,
    });
    assert.notEqual(sourceEu.http.port, sourceUs.http.port);
  });

  it('lists the origins by name for servers before Postgres 16', () => {
    const apps = planTwoWaySync(doc({ skipOrigins: 'names' }));
    assert.deepEqual((apps[0].config as any).events, { skipOrigins: ['sluice_orders_us_to_eu'] });
    assert.deepEqual((apps[2].config as any).events, { skipOrigins: ['sluice_orders_eu_to_us'] });
  });

  it('sets per-table rules on both sinks', () => {
    const apps = planTwoWaySync(
      doc({ prioritySite: 'us', tableRules: { 'public.customers': 'source-priority' } }),
    );
    assert.deepEqual((apps[1].config as any).tables['orders.us.public.customers'], {
      table: 'public.customers',
      conflictRule: 'source-priority',
    });
  });

  it('sets a per-table resolution function on both sinks', () => {
    const rule = { function: 'app.resolve_orders' };
    const apps = planTwoWaySync(doc({ tableRules: { 'public.orders': rule } }));
    assert.deepEqual((apps[1].config as any).tables['orders.us.public.orders'], {
      table: 'public.orders',
      conflictRule: rule,
    });
    assert.deepEqual((apps[3].config as any).tables['orders.eu.public.orders'], {
      table: 'public.orders',
      conflictRule: rule,
    });
  });

  for (const [raw, path, message] of [
    [
      doc({ tableRules: { 'public.orders': { function: 'resolve' } } }),
      'tableRules.public.orders.function',
      /schema-qualified/,
    ],
    [
      doc({ tableRules: { 'public.orders': { function: 'a.b;--' } } }),
      'tableRules.public.orders.function',
      /schema-qualified/,
    ],
    [
      doc({ tableRules: { 'public.orders': { fn: 'app.resolve' } } }),
      'tableRules.public.orders',
      /expected last-writer-wins, source-priority or \{ function: schema\.name \}/,
    ],
    [doc({ sites: { eu: doc().sites.eu } }), 'sites', /exactly two sites/],
    [doc({ sites: { EU: doc().sites.eu, us: doc().sites.us } }), 'sites.EU', /site id/],
    [doc({ tables: ['orders'] }), 'tables[0]', /schema\.table/],
    [doc({ tables: [] }), 'tables', /.+/],
    [doc({ rule: 'newest' }), 'rule', /.+/],
    [doc({ rule: 'source-priority' }), 'prioritySite', /required by source-priority/],
    [doc({ rule: 'source-priority', prioritySite: 'asia' }), 'prioritySite', /one of the sites/],
    [
      doc({ tableRules: { 'public.items': 'last-writer-wins' } }),
      'tableRules.public.items',
      /not one of tables/,
    ],
    [doc({ skipOrigins: 'none' }), 'skipOrigins', /.+/],
    [doc({ name: 'Orders-Sync' }), 'name', /lower-case letter/],
    [doc({ merge: 'yes' }), 'merge', /.+/],
    [doc({ tombstoneRetentionMs: 1000 }), 'tombstoneRetentionMs', /.+/],
    [doc({ tableRules: { 'public.orders': 'mine' } }), 'tableRules.public.orders', /.+/],
    [doc({ kafka: ['broker:9092'] }), 'kafka', /.+/],
    [
      doc({ sites: { eu: { postgres: { ...doc().sites.eu.postgres, port: 'five' } }, us: doc().sites.us } }),
      'sites.eu.postgres.port',
      /.+/,
    ],
    [
      doc({ sites: { eu: { postgres: doc().sites.eu.postgres, extra: 1 }, us: doc().sites.us } }),
      'sites.eu',
      /.+/,
    ],
    [
      doc({ sites: { eu: { postgres: { host: 'eu.db' } }, us: doc().sites.us } }),
      'sites.eu.postgres.user',
      /.+/,
    ],
  ] as const) {
    it(`refuses a malformed ${path}, naming it`, () => assertRefused(raw, path, message));
  }

  it('refuses a derived configuration its app would refuse, naming the app and the path', () => {
    assertRefused(doc({ kafka: { brokers: ['no-port'] } }), 'kafka.brokers[0]', /sync\.yaml → source-eu/);
  });
});
