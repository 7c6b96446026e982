// Imported first by main.ts: the OpenTelemetry SDK starts before the app's modules load, so the
// undici instrumentation sees every request to a destination (a client span per attempt).
import { bootTelemetry } from '@sluice/observability';

export const telemetry = bootTelemetry('sink-http', process.argv, { httpClientSpans: true });
