import { telemetry } from './tracing';
import 'reflect-metadata';
import { runConnector } from '@sluice/connect';
import { sinkHttpConnector } from '@sluice/sink-http';

// On SIGTERM in-flight requests finish and their offsets are committed; records still waiting are
// redelivered (same idempotency keys) after the restart.
runConnector(sinkHttpConnector, { shutdown: () => telemetry.shutdown() });
