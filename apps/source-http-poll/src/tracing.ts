// Imported first by main.ts: the OpenTelemetry SDK starts before the app's modules load.
import { bootTelemetry } from '@sluice/observability';

export const telemetry = bootTelemetry('source-http-poll', process.argv);
