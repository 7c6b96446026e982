import { telemetry } from './tracing';
import 'reflect-metadata';
import { runConnector } from '@sluice/connect';
import { sourceHttpPollConnector } from '@sluice/source-http-poll';

// On SIGTERM each stream ends at its next step: a page's transaction is committed or aborted, never
// half, and the next start resumes from the committed cursor.
runConnector(sourceHttpPollConnector, { shutdown: () => telemetry.shutdown() });
