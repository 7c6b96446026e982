import { telemetry } from './tracing';
import 'reflect-metadata';
import { runConnector } from '@sluice/connect';
import { sourceWebhookConnector } from '@sluice/source-webhook';

// On SIGTERM new requests are answered 503 (senders retry elsewhere or later) and those in flight
// get their answer once Kafka acknowledged them.
runConnector(sourceWebhookConnector, { shutdown: () => telemetry.shutdown() });
