import { z } from 'zod';
import { parseConfig, postgresSslSchema, wholeNumber } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { sourcePostgresConnector } from '@sluice/postgres-cdc';
import {
  checkSyncSettings,
  CONFLICT_RULES,
  type ConflictRule,
  functionRuleSchema,
  sinkPostgresConnector,
  TABLE_RULE_EXPECTED,
} from '@sluice/sink-postgres';

// `sluice sync`: one YAML naming two databases, their tables and the conflict rule, expanded into
// the four apps of two-way sync (docs/two-way-sync.md): per site a source-postgres that leaves the
// sink's writes out, and a sink-postgres applying the other site's changes with a replication
// origin and the rule. Each derived configuration is validated by its connector's own schema, and
// the pairs are checked against each other, so a plan that would echo is refused.

const siteId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,30}$/, 'expected a site id: a lower-case letter, then letters, digits or _');
const tableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$/, 'expected schema.table');

const databaseSchema = z.strictObject({
  host: z.string().min(1).describe('Postgres host. Required.'),
  port: wholeNumber(1).default(5432).describe('Postgres port. Default 5432.'),
  user: z
    .string()
    .min(1)
    .describe('A role with REPLICATION and the origin functions (or superuser). Required.'),
  password: z.string().default('').describe('Use ${ENV_VAR} interpolation. Default empty.'),
  database: z.string().min(1).describe('The database. Required.'),
  ssl: postgresSslSchema.describe('TLS (libpq sslmode semantics). Default: plain TCP.'),
});

/** The `sluice sync` document. */
export const twoWaySyncSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,30}$/, 'expected a name: a lower-case letter, then letters, digits or _')
      .default('sync')
      .describe(
        'Names the topics (<name>.<site>.<schema>.<table>), slots, publications and groups. Default sync.',
      ),
    sites: z
      .record(z.string(), z.strictObject({ postgres: databaseSchema }))
      .refine((sites) => Object.keys(sites).length === 2, 'expected exactly two sites')
      .describe('The two databases, by site id (the conflict tie-breaker). Required.'),
    tables: z.array(tableName).min(1).describe('The synced tables, schema.table, on both sites. Required.'),
    rule: z
      .enum(CONFLICT_RULES as [ConflictRule, ...ConflictRule[]])
      .default('last-writer-wins')
      .describe('The conflict rule: last-writer-wins or source-priority. Default last-writer-wins.'),
    prioritySite: siteId.optional().describe('source-priority: the site whose changes win.'),
    tableRules: z
      .record(
        tableName,
        z.union([z.enum(CONFLICT_RULES as [ConflictRule, ...ConflictRule[]]), functionRuleSchema], {
          error: TABLE_RULE_EXPECTED,
        }),
      )
      .default({})
      .describe(
        'Per-table rules, by schema.table: last-writer-wins, source-priority, or `{ function: schema.name }` ' +
          '(a resolution function, in both databases). Default none.',
      ),
    merge: z.boolean().default(false).describe('Column-level merge of updates. Default false.'),
    tombstoneRetentionMs: z
      .number()
      .int()
      .min(60_000)
      .optional()
      .describe(
        "Both sinks' sync.tombstoneRetentionMs: deleted keys' tombstones removed after it. Default: kept forever.",
      ),
    skipOrigins: z
      .enum(['all', 'names'])
      .default('all')
      .describe("How the sources leave the sinks' writes out: all (Postgres 16+) or names. Default all."),
    kafka: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('The kafka block of every app. Default the local stack.'),
    registry: z.record(z.string(), z.unknown()).default({}).describe('The registry block of every app.'),
  })
  .superRefine((doc, ctx) => {
    const sites = Object.keys(doc.sites);
    for (const site of sites)
      if (!siteId.safeParse(site).success)
        ctx.addIssue({
          code: 'custom',
          path: ['sites', site],
          message: 'expected a site id: a lower-case letter, then letters, digits or _',
        });
    const needsPriority =
      doc.rule === 'source-priority' || Object.values(doc.tableRules).includes('source-priority');
    if (needsPriority && doc.prioritySite === undefined)
      ctx.addIssue({ code: 'custom', path: ['prioritySite'], message: 'required by source-priority' });
    if (doc.prioritySite !== undefined && !sites.includes(doc.prioritySite))
      ctx.addIssue({
        code: 'custom',
        path: ['prioritySite'],
        message: `expected one of the sites (${sites.join(', ')})`,
      });
    for (const table of Object.keys(doc.tableRules))
      if (!doc.tables.includes(table))
        ctx.addIssue({ code: 'custom', path: ['tableRules', table], message: 'not one of tables' });
  });

export type TwoWaySync = z.output<typeof twoWaySyncSchema>;

/** One derived app: its connector and configuration (placeholders such as ${B_PASSWORD} kept). */
export interface PlannedApp {
  /** `source-<site>` or `sink-<peer>-to-<site>`: the file name without `.yaml`. */
  readonly name: string;
  readonly app: 'source-postgres' | 'sink-postgres';
  readonly config: Record<string, unknown>;
}

const slotName = (doc: TwoWaySync, site: string) => `${doc.name}_${site}`;
const groupName = (doc: TwoWaySync, peer: string, site: string) => `${doc.name}.${peer}-to-${site}`;
/** The origin `replicationOrigin: true` names for a group (replicationOriginName's rule). */
const originOf = (group: string) => `sluice_${group.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * The four apps of a `sluice sync` document (`raw`: as read, `${ENV}` placeholders unresolved, so
 * secrets stay out of the derived files). Throws ConfigError naming the YAML path of the sync
 * document, or the derived app and its path when a derived configuration is refused.
 */
export function planTwoWaySync(raw: unknown, source = 'sync configuration'): PlannedApp[] {
  const doc = parseConfig(twoWaySyncSchema, raw, { source, unset: 'placeholder' });
  const rawSites = (raw as { sites: Record<string, { postgres: Record<string, unknown> }> }).sites;
  const [first, second] = Object.keys(doc.sites);
  const apps: PlannedApp[] = [];
  let port = 0;
  for (const [site, peer] of [
    [first, second],
    [second, first],
  ] as const) {
    // The sync document's default port (5432), not the apps' (the local stack's 5433).
    const postgres = { port: doc.sites[site].postgres.port, ...rawSites[site].postgres };
    const topics = doc.tables.map((t) => `${doc.name}.${peer}.${t}`);
    const skipOrigins = doc.skipOrigins === 'all' ? 'all' : [originOf(groupName(doc, peer, site))];
    apps.push({
      name: `source-${site}`,
      app: 'source-postgres',
      config: {
        topicPrefix: `${doc.name}.${site}`,
        postgres,
        slot: { name: slotName(doc, site) },
        publication: { name: slotName(doc, site) },
        tables: { include: doc.tables },
        // The sink's bookkeeping columns stay on their side.
        columns: { exclude: doc.tables.map((t) => `${t}.__sluice_*`) },
        events: { skipOrigins },
        kafka: (raw as { kafka?: unknown }).kafka,
        registry: (raw as { registry?: unknown }).registry,
        http: { port: 8101 + port },
      },
    });
    apps.push({
      name: `sink-${peer}-to-${site}`,
      app: 'sink-postgres',
      config: {
        group: groupName(doc, peer, site),
        topics,
        target: { ...postgres, replicationOrigin: true },
        sync: {
          site,
          peerSite: peer,
          rule: doc.rule,
          ...(doc.prioritySite !== undefined && { prioritySite: doc.prioritySite }),
          ...(doc.tombstoneRetentionMs !== undefined && { tombstoneRetentionMs: doc.tombstoneRetentionMs }),
        },
        ...(doc.merge && { merge: true }),
        tables: Object.fromEntries(
          doc.tables.map((t, i) => [
            topics[i],
            { table: t, ...(doc.tableRules[t] !== undefined && { conflictRule: doc.tableRules[t] }) },
          ]),
        ),
        kafka: (raw as { kafka?: unknown }).kafka,
        registry: (raw as { registry?: unknown }).registry,
        http: { port: 8103 + port },
      },
    });
    port += 10;
  }
  for (const app of apps) {
    for (const key of Object.keys(app.config)) if (app.config[key] === undefined) delete app.config[key];
    checkPlanned(app, `${source} → ${app.name}`);
  }
  return apps;
}

/** A derived configuration checked as its app will check it at start. */
function checkPlanned(app: PlannedApp, source: string): void {
  if (app.app === 'source-postgres') {
    const config = parseConfig(sourcePostgresConnector.configSchema, app.config, {
      source,
      unset: 'placeholder',
    });
    if (config.events.skipOrigins === undefined)
      throw new ConfigError(
        `${source}: a two-way sync source must leave the sinks' writes out (events.skipOrigins)`,
        source,
        'events.skipOrigins',
      );
    return;
  }
  const config = parseConfig(sinkPostgresConnector.configSchema, app.config, {
    source,
    unset: 'placeholder',
  });
  try {
    checkSyncSettings(config);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(`${source}: ${error.message}`, source, error.path, { cause: error });
    throw error;
  }
}
