import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StackLayout } from '../stack-layout';
import { spawnDetached } from '../process-control';
import { JaegerBinary } from './jaeger-binary';
import { SpawnedPart, type SpawnedPartListener } from './spawned-part';

/**
 * Jaeger v2 (one binary: OTLP receiver, in-memory trace storage, query API and UI), built once with
 * the Go toolchain. OTLP on 4317 (gRPC) and 4318 (HTTP), UI and query API on 16686.
 */
export class JaegerPart extends SpawnedPart {
  readonly name = 'jaeger';
  readonly binary: JaegerBinary;

  constructor(
    layout: StackLayout,
    private readonly log: (line: string) => void,
  ) {
    super(layout, 'jaeger');
    this.binary = new JaegerBinary(layout.cacheDir, layout.jaeger.version);
  }

  get address(): string {
    return `http://${this.layout.jaeger.host}:${this.layout.jaeger.queryPort}`;
  }

  /** Where apps send traces (OTLP/HTTP base URL). */
  get otlpEndpoint(): string {
    return `http://${this.layout.jaeger.host}:${this.layout.jaeger.otlpHttpPort}`;
  }

  protected get listener(): SpawnedPartListener {
    const { host, queryPort } = this.layout.jaeger;
    return { host, port: queryPort, label: 'Jaeger', portVariable: 'SLUICE_JAEGER_PORT' };
  }

  protected async launch(): Promise<void> {
    const binary = await this.binary.ensure(this.log);
    mkdirSync(this.dir, { recursive: true });
    const configFile = join(this.dir, 'jaeger.yaml');
    writeFileSync(configFile, this.configYaml());
    spawnDetached(binary, ['--config', configFile], { logFile: this.logFile, pidFile: this.pidFile });
  }

  /** The query API answers `GET /api/services`. */
  async probe(): Promise<{ ok: boolean; detail?: string }> {
    const response = await fetch(`${this.address}/api/services`, { signal: AbortSignal.timeout(2000) });
    const body = response.ok ? ((await response.json()) as { data?: unknown[] | null }) : {};
    return {
      ok: response.ok,
      detail: response.ok
        ? `${body.data?.length ?? 0} service(s) traced`
        : `GET /api/services answered ${response.status}`,
    };
  }

  private configYaml(): string {
    const { host, otlpGrpcPort, otlpHttpPort, queryPort } = this.layout.jaeger;
    return `# Written by sluice stack on every start: OTLP in, traces in memory, query API and UI.
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: ${host}:${queryPort}
    grpc:
      endpoint: ${host}:${queryPort - 1}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${host}:${otlpGrpcPort}
      http:
        endpoint: ${host}:${otlpHttpPort}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
  }
}
