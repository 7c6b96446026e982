import { defineConnector, type RunningConnector } from '@sluice/connect';
import { createKafkaClient } from '@sluice/kafka';
import { sourceConfigSchema } from '../config/source-config';
import { PostgresSource } from '../source/postgres-source';
import { watchSourceMetrics } from '../source/source-metrics';
import { type SourceStatus } from '../source/source-status';
import { SourceConnector } from './source-management';
import { sourceProbes } from './source-probes';
import { declareSourceTopics } from './source-topics';
import { SourceController } from './source.controller';
import { POSTGRES_SOURCE } from './tokens';

/**
 * The Postgres source as its app serves it. No `done`: a source that failed for good stays up in
 * phase `failed`, answering /status, rather than ending the process.
 */
export interface RunningSource extends RunningConnector {
  readonly source: PostgresSource;
  /** GET /status. */
  status(): SourceStatus;
}

/**
 * source-postgres: a Postgres database's changes (logical replication, pgoutput) as Debezium
 * change events in Avro, one topic per table, after a consistent snapshot.
 */
export const sourcePostgresConnector = defineConnector({
  name: 'source-postgres',
  kind: 'source',
  summary: "captures a Postgres database's changes into Kafka as Debezium change events",
  port: 8101,
  doc: 'docs/source-postgres.md',
  // `liveness` is also in the shared tail, with the same schema: kept here, the keys stay in the
  // order of docs/source-postgres.md (the source's settings, then kafka, registry, http, ...).
  settings: sourceConfigSchema.shape,
  topicKeys: ['topicPrefix', 'tables', 'topics', 'events', 'delivery'],
  declareTopics(plan, settings, { file, knownTables }) {
    declareSourceTopics(plan, settings, { name: `source-postgres (${file})`, knownTables });
  },
  create(config, { logger, registry, version, baseDir, dependencies }): RunningSource {
    const source = new PostgresSource(config, {
      kafka: createKafkaClient(config.kafka),
      registry,
      log: logger,
      version,
      baseDir,
    });
    return {
      source,
      start: () => source.start(),
      stop: () => source.stop(),
      status: () => source.status(),
      management: [new SourceConnector(source)],
      probes: sourceProbes(source, config, dependencies),
      http: { controllers: [SourceController], providers: [{ provide: POSTGRES_SOURCE, useValue: source }] },
      release: [watchSourceMetrics(source)],
    };
  },
});
