import { type z } from 'zod';
import { consumerGroupTopics, defineConnector } from '@sluice/connect';
import { postgresReachable, reachabilityProbe } from '@sluice/observability';
import { PostgresSink } from './postgres-sink';
import { sinkPostgresSettings } from './sink-postgres-config';

/**
 * sink-postgres: CDC (Debezium envelope) or unwrapped Avro topics into a target Postgres, each
 * batch's rows and offsets in one transaction (exactly-once effect), tables created and evolved
 * from the schemas, last writer wins by source position.
 */
export const sinkPostgresConnector = defineConnector({
  name: 'sink-postgres',
  kind: 'sink',
  summary: 'writes CDC or Avro row topics to a Postgres database, exactly-once in effect',
  port: 8103,
  doc: 'docs/sink-postgres.md',
  settings: sinkPostgresSettings,
  topicKeys: ['group', 'topics', 'runtime'],
  declareTopics: consumerGroupTopics('sink-postgres'),
  create(config, { logger, registry, baseDir, dependencies }) {
    const sink = new PostgresSink(config, registry, logger, { baseDir });
    // Live while not failed nor stalled with the target, Kafka and the registry answering (a
    // restart resumes from the offsets stored in the target); ready when they answer too.
    return sink.hosted('sink', [
      reachabilityProbe('postgres', postgresReachable({ ...config.target, ssl: sink.targetTls })),
      dependencies.kafka,
      dependencies.registry,
    ]);
  },
});

/** A sink-postgres configuration as written (YAML or a test's object), before defaults. */
export type SinkPostgresConfigInput = z.input<typeof sinkPostgresConnector.configSchema>;
