import { telemetry } from './tracing';
import 'reflect-metadata';
import { runConnector } from '@sluice/connect';
import { sinkPostgresConnector } from '@sluice/sink-postgres';

// On SIGTERM in-flight records are written and committed with their offsets; after a failure the
// restart resumes from the offsets stored in the target database.
runConnector(sinkPostgresConnector, { shutdown: () => telemetry.shutdown() });
