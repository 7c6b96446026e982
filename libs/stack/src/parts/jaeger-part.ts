import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { type StackLayout } from '../stack-layout';
import { describePart, type PartStatus, type StackPart, type StartOutcome } from '../stack-part';
import { livePid, portHolder, removeFile, spawnDetached, stopProcess, waitUntil } from '../process-control';
import { JaegerBinary } from './jaeger-binary';

/**
 * Jaeger v2 (one binary: OTLP receiver, in-memory trace storage, query API and UI), built once with
 * the Go toolchain. OTLP on 4317 (gRPC) and 4318 (HTTP), UI and query API on 16686.
 */
export class JaegerPart implements StackPart {
  readonly name = 'jaeger';
  private readonly dir: string;
  readonly binary: JaegerBinary;

  constructor(
    private readonly layout: StackLayout,
    private readonly log: (line: string) => void,
  ) {
    this.dir = join(layout.home, 'jaeger');
    this.binary = new JaegerBinary(layout.cacheDir, layout.jaeger.version);
  }

  get address(): string {
    return `http://${this.layout.jaeger.host}:${this.layout.jaeger.queryPort}`;
  }

  /** Where apps send traces (OTLP/HTTP base URL). */
  get otlpEndpoint(): string {
    return `http://${this.layout.jaeger.host}:${this.layout.jaeger.otlpHttpPort}`;
  }

  get logFile(): string {
    return join(this.dir, 'jaeger.log');
  }

  private get pidFile(): string {
    return join(this.dir, 'jaeger.pid');
  }

  status(): Promise<PartStatus> {
    return describePart(this, livePid(this.pidFile), () => this.probe());
  }

  async start(): Promise<StartOutcome> {
    let outcome: StartOutcome = 'started';
    const { host, queryPort } = this.layout.jaeger;
    if (livePid(this.pidFile) !== undefined) outcome = 'already-running';
    else if (
      (await portHolder(
        host,
        queryPort,
        () => this.probe().catch(() => ({ ok: false })),
        'Jaeger',
        'SLUICE_JAEGER_PORT',
      )) === 'answering'
    )
      return 'answering-externally';
    else {
      const binary = await this.binary.ensure(this.log);
      mkdirSync(this.dir, { recursive: true });
      const configFile = join(this.dir, 'jaeger.yaml');
      writeFileSync(configFile, this.configYaml());
      spawnDetached(binary, ['--config', configFile], { logFile: this.logFile, pidFile: this.pidFile });
    }
    const ready = await waitUntil(async () => (await this.probe()).ok, {
      timeoutMs: this.layout.startTimeoutSeconds * 1000,
      stillRunning: () => livePid(this.pidFile) !== undefined,
    });
    if (!ready.ok)
      throw new EnvironmentError(
        `Jaeger at ${this.address} did not come up: ${ready.reason}; see ${this.logFile}`,
        {
          code: 'PART_NOT_READY',
        },
      );
    return outcome;
  }

  async stop(): Promise<boolean> {
    const pid = livePid(this.pidFile);
    removeFile(this.pidFile);
    if (pid === undefined) return false;
    await stopProcess(pid, 10_000);
    return true;
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
