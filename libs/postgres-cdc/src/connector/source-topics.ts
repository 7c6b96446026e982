import { type TopicPlan } from '@sluice/connect';
import { type SourceConfig } from '../config/source-config';
import { qualifiedName, selectTables, type TableName } from '../replication/table-name';

/** What of a source's configuration decides its topics. */
export type SourceTopicSettings = Pick<SourceConfig, 'topicPrefix' | 'topics' | 'delivery'> & {
  readonly tables: Pick<SourceConfig['tables'], 'include' | 'exclude'> & Partial<SourceConfig['tables']>;
  readonly events: Pick<SourceConfig['events'], 'transactionMetadata'> & Partial<SourceConfig['events']>;
};

/**
 * The topics a Postgres source writes: `<prefix>.<schema>.<table>` per captured table and, with
 * transaction metadata, `<prefix>.transaction`; exactly once, the offsets topic. A table pattern (`public.*`) names tables only the
 * database knows; `knownTables` (schema.table) resolves it, otherwise the plan gets a note.
 */
export function declareSourceTopics(
  plan: TopicPlan,
  config: SourceTopicSettings,
  options: { readonly name: string; readonly knownTables?: readonly string[] },
): void {
  const { include, exclude } = config.tables;
  const exact = include.filter((p) => !p.includes('*')).map(tableName);
  const known = (options.knownTables ?? []).map(tableName);
  for (const pattern of include.filter((p) => p.includes('*'))) {
    if (selectTables(known, [pattern]).length === 0)
      plan.note(
        `${options.name}: tables.include '${pattern}' is a pattern; its topics (${config.topicPrefix}.<schema>.<table>) ` +
          'depend on the database — name the tables (--table schema.table) to declare them',
      );
  }
  const captured = new Set(selectTables([...exact, ...known], include, exclude).map(qualifiedName));
  const topic = { partitions: config.topics.partitions, replicationFactor: config.topics.replicationFactor };
  for (const table of [...captured].sort())
    plan.declare({
      name: `${config.topicPrefix}.${table}`,
      ...topic,
      origin: `${options.name}: table ${table}`,
    });
  if (config.events.transactionMetadata)
    plan.declare({
      name: `${config.topicPrefix}.transaction`,
      ...topic,
      origin: `${options.name}: transaction metadata`,
    });
  if (config.delivery.guarantee === 'exactly-once')
    plan.declare({
      name: config.delivery.offsetsTopic ?? `${config.topicPrefix}.offsets`,
      partitions: 1,
      replicationFactor: config.topics.replicationFactor,
      configs: { 'cleanup.policy': 'compact' },
      origin: `${options.name}: committed source offsets (exactly once)`,
    });
}

function tableName(qualified: string): TableName {
  const dot = qualified.indexOf('.');
  return { schema: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
}
