import { hostname } from 'node:os';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  type IdGenerator,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';
import {
  type Environment,
  envFlag,
  envInt,
  envString,
  loadAppConfig,
  processEnvironment,
} from '@sluice/config';
import { CollectorWatch } from './collector-watch';
import { RootSampling } from './root-sampling';
import { type TracingConfig, tracingConfigSchema } from './tracing-config';

/** Parent-based sampling of new traces when neither the YAML nor OTEL_TRACES_SAMPLER says. */
export const DEFAULT_SAMPLING_RATIO = 0.1;

/** The process's tracing, as started (or not) before the app loaded. */
export interface Telemetry {
  /** True when spans are being made and exported; hot paths skip all tracing work otherwise. */
  readonly active: boolean;
  /** Record keys go on consumer spans (tracing.recordKeys). */
  readonly recordKeys: boolean;
  /** HTTP client calls become spans: records' work must run in their (even unsampled) context. */
  readonly httpClientSpans: boolean;
  /**
   * New traces decided before a span is made, when Sluice's parent-based ratio sampler is the one
   * in use (not an OTEL_TRACES_SAMPLER's).
   */
  readonly rootSampling?: RootSampling;
  /**
   * Exports what is buffered (for 2 s at most, less once an export failed or stalled: the collector
   * is away) and stops the SDK (call on shutdown).
   */
  shutdown(): Promise<void>;
}

const INACTIVE: Telemetry = {
  active: false,
  recordKeys: false,
  httpClientSpans: false,
  shutdown: async () => undefined,
};
let current: Telemetry = INACTIVE;

/** Whether this process traces (cheap: one property read, for per-record paths). */
export function tracingActive(): boolean {
  return current.active;
}

export interface TelemetryOptions {
  /** `service.name` (OTEL_SERVICE_NAME overrides it). */
  readonly service: string;
  readonly version?: string;
  readonly config: TracingConfig;
  readonly env?: Environment;
  /** Where spans go; default OTLP/HTTP (protobuf) to `config.endpoint` or the OTEL_* settings. */
  readonly exporter?: SpanExporter;
  /** Export each span at its end instead of in batches (tests). Default false. */
  readonly exportImmediately?: boolean;
  /**
   * Register the standard HTTP client instrumentations (node:http, undici/fetch): for an app whose
   * records' work makes HTTP calls (sink-http). Off elsewhere: measured at several µs of CPU per
   * record on the transformer, for spans of registry lookups only. Default false.
   */
  readonly httpClientSpans?: boolean;
}

/**
 * Starts OpenTelemetry tracing for this process: OTLP/HTTP (protobuf) trace export, W3C trace
 * context propagation, parent-based ratio sampling, and, where asked (`httpClientSpans`), the
 * standard HTTP client instrumentations (node:http and undici/fetch, so a sink's HTTP calls become
 * client spans of the record's trace).
 * Incoming HTTP requests (probes, /metrics scrapes) are not traced. The OpenTelemetry Node SDK
 * starts instead only when OTEL_* settings ask for what this does not set up (`needsNodeSdk`).
 *
 * The kafkajs instrumentation is not registered: its producer side injects the context active at
 * send time, and Sluice sends outputs in batches collected from many records (each with its own
 * trace), so it would overwrite every record's traceparent with an unrelated one; its eachBatch side
 * makes a root span per batch. The stream runtime and the CDC source carry each record's context in
 * its headers themselves (MessageTracing).
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? processEnvironment();
  if (current.active) return current;
  if (!options.config.enabled || envFlag('OTEL_SDK_DISABLED', false, env)) return current;
  const { config } = options;
  const exporter = new CollectorWatch(
    options.exporter ??
      new OTLPTraceExporter(
        config.endpoint !== undefined ? { url: `${config.endpoint.replace(/\/$/, '')}/v1/traces` } : {},
      ),
  );
  const instrumentations = options.httpClientSpans
    ? [new HttpInstrumentation({ ignoreIncomingRequestHook: () => true }), new UndiciInstrumentation()]
    : [];
  // Sampling: the YAML's ratio, else OTEL_TRACES_SAMPLER (the SDK reads it), else one trace in ten:
  // tracing every change costs a stage about a third of its throughput (bench 'tracing').
  const ratio =
    config.samplingRatio ??
    (envString('OTEL_TRACES_SAMPLER', '', env) === '' ? DEFAULT_SAMPLING_RATIO : undefined);
  const rootSampling = ratio !== undefined ? new RootSampling(ratio) : undefined;
  const parts: TracingParts = {
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: envString('OTEL_SERVICE_NAME', options.service, env),
      'service.namespace': 'sluice',
      'service.instance.id': `${hostname()}-${process.pid}`,
      ...(options.version !== undefined ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
    }),
    sampler: rootSampling?.sampler,
    idGenerator: rootSampling,
    // Defaults (OTEL_BSP_* still win): a larger queue and a 1 s delay, as a source at 16k events/s
    // fills the SDK's 2048 in well under its 5 s, and traces then show in Jaeger within seconds.
    spanProcessor: options.exportImmediately
      ? new SimpleSpanProcessor({ exporter })
      : new BatchSpanProcessor({
          exporter,
          maxQueueSize: envInt('OTEL_BSP_MAX_QUEUE_SIZE', 16_384, env),
          maxExportBatchSize: envInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 2048, env),
          scheduledDelayMillis: envInt('OTEL_BSP_SCHEDULE_DELAY', 1000, env),
        }),
    instrumentations,
  };
  const sdk = needsNodeSdk(env) ? startNodeSdk(parts, env) : startTracing(parts);
  current = {
    active: true,
    recordKeys: config.recordKeys,
    httpClientSpans: options.httpClientSpans ?? false,
    ...(rootSampling ? { rootSampling } : {}),
    shutdown: async () => {
      current = INACTIVE;
      // The last spans get a bounded time: with the collector away the exporter's retries held
      // every exit for ~8 s (source-postgres, measured), and a rollout waits on each pod. The wait
      // ends early once an export has failed or stalled: the last spans would not get through.
      let stopped = false;
      void sdk
        .shutdown()
        .catch(() => undefined)
        .then(() => (stopped = true));
      const deadline = performance.now() + SHUTDOWN_FLUSH_MS;
      // Referenced timers: the process must live until the caller has set its exit code.
      while (!stopped && !exporter.collectorAway() && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
    },
  };
  return current;
}

/** How long a shutdown waits for the SDK to export what it buffered. */
const SHUTDOWN_FLUSH_MS = 2_000;

/** The process's telemetry (inactive until `startTelemetry`). */
export function telemetry(): Telemetry {
  return current;
}

/** What Sluice sets up for tracing, whichever way it is started. */
interface TracingParts {
  readonly resource: Resource;
  /** Undefined: OTEL_TRACES_SAMPLER says (the Node SDK reads it). */
  readonly sampler: Sampler | undefined;
  /** With Sluice's own sampler: the ids of new traces are drawn before their spans (RootSampling). */
  readonly idGenerator: IdGenerator | undefined;
  readonly spanProcessor: SpanProcessor;
  readonly instrumentations: Instrumentation[];
}

/**
 * The OTEL_* settings Sluice's own start-up honours: the service name, the SDK switch, the batch
 * processor's (above), the exporter's (it reads them itself) and the resource's (its detector).
 */
const HONOURED_HERE = /^OTEL_(SERVICE_NAME|SDK_DISABLED|BSP_.*|EXPORTER_OTLP_.*|RESOURCE_ATTRIBUTES)$/;

/**
 * Whether the environment asks for more than traces over OTLP as Sluice sets them up (a sampler,
 * propagators, span limits, metrics or logs exporters, resource detectors...): the OpenTelemetry
 * Node SDK then starts, and reads them. It is loaded only then: it brings every exporter it can
 * build (gRPC, Zipkin, Prometheus, metrics, logs), ~0.35 s of start-up and ~18 MiB per process.
 */
function needsNodeSdk(env: Environment): boolean {
  return Object.keys(env).some((name) => name.startsWith('OTEL_') && !HONOURED_HERE.test(name));
}

/** Traces only: the SDK's tracer provider, W3C trace context and baggage, async-local context. */
function startTracing(parts: TracingParts): { shutdown(): Promise<void> } {
  const detected = detectResources({ detectors: [hostDetector, osDetector, processDetector, envDetector] });
  const provider = new TracerProvider({
    // As the Node SDK merges them: the detected attributes (OTEL_RESOURCE_ATTRIBUTES) win.
    resource: parts.resource.merge(detected),
    // Always set on this path: an OTEL_TRACES_SAMPLER sends start-up to the Node SDK.
    sampler: parts.sampler,
    ...(parts.idGenerator ? { idGenerator: parts.idGenerator } : {}),
    spanProcessors: [parts.spanProcessor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({ instrumentations: parts.instrumentations });
  return {
    shutdown: async () => {
      unregister();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The OpenTelemetry Node SDK, for what the environment asks beyond `startTracing`. */
function startNodeSdk(parts: TracingParts, env: Environment): { shutdown(): Promise<void> } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const configuration: Partial<NodeSDKConfiguration> = {
    resource: parts.resource,
    ...(parts.sampler ? { sampler: parts.sampler } : {}),
    ...(parts.idGenerator ? { idGenerator: parts.idGenerator } : {}),
    spanProcessors: [parts.spanProcessor],
    instrumentations: parts.instrumentations,
    // Traces only, unless OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER ask for more: metrics are
    // served by /metrics (prom-client) and logs go to stdout. The SDK's defaults would export both
    // over OTLP and record self-observability metrics for every span.
    ...(envString('OTEL_METRICS_EXPORTER', '', env) === '' ? { metricReaders: [] } : {}),
    ...(envString('OTEL_LOGS_EXPORTER', '', env) === '' ? { logRecordProcessors: [] } : {}),
  };
  const sdk = new NodeSDK(configuration);
  sdk.start();
  return sdk;
}

/**
 * What an app's `tracing.ts` entry calls first thing, before the app's modules load: reads the
 * `tracing` section of the app's configuration file (argv `--config` or SLUICE_CONFIG) and starts
 * the SDK. A configuration that does not load starts nothing: the app's own loading reports it.
 */
export function bootTelemetry(
  service: string,
  argv: readonly string[],
  options: { readonly version?: string; readonly httpClientSpans?: boolean } = {},
): Telemetry {
  let config: TracingConfig;
  try {
    config = loadAppConfig(z.looseObject({ tracing: tracingConfigSchema }), argv).tracing;
  } catch {
    return current;
  }
  return startTelemetry({ service, config, ...options });
}
