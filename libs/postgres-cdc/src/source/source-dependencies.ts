import type { Kafka } from 'kafkajs';
import type { SchemaRegistryClient } from '@sluice/schema';

/** What the source logs; pino's logger fits. */
export interface SourceLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** What the app gives the source: its clients and its log. */
export interface PostgresSourceDependencies {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
  readonly log: SourceLog;
  /** `source.version` in events. */
  readonly version?: string;
  /** Where relative paths of the configuration (`postgres.ssl`'s files) are resolved. Default the working directory. */
  readonly baseDir?: string;
}
