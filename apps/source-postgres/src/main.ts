import { telemetry } from './tracing';
import 'reflect-metadata';
import { runConnector } from '@sluice/connect';
import { sourcePostgresConnector } from '@sluice/postgres-cdc';

// On SIGTERM Kafka acknowledges what is in flight and it is confirmed to the slot, so a restart
// redelivers as little as possible. A source that failed for good stays up in phase `failed`,
// answering /status, rather than exiting.
runConnector(sourcePostgresConnector, { shutdown: () => telemetry.shutdown() });
