import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Environment, envFlag, envInt, envString } from '@sluice/config';

/**
 * Where the local stack keeps its files and which ports it uses. Every value has a default and an
 * environment variable that overrides it (documented in the README's "Local stack" table).
 */
export interface StackLayout {
  /** The project folder the stack belongs to. */
  projectRoot: string;
  /** Data and logs: `<project>/.sluice` by default (SLUICE_HOME). */
  home: string;
  /** Downloaded runtimes shared by every clone on the machine (SLUICE_CACHE_DIR). */
  cacheDir: string;
  /** A short stable id of this stack's home folder, for machine-wide paths that must not collide. */
  instanceId: string;
  /** `saslSslPort`: the SASL_SSL listener beside the plaintext one, with TLS on (`up --tls`). */
  kafka: {
    host: string;
    port: number;
    controllerPort: number;
    saslSslPort: number;
    version: string;
    heap: string;
  };
  postgres: { host: string; port: number; user: string; password: string; databases: string[] };
  registry: { host: string; port: number };
  /** Jaeger v2: OTLP gRPC/HTTP ports, query API and UI port, Go module version it is built from. */
  jaeger: { host: string; otlpGrpcPort: number; otlpHttpPort: number; queryPort: number; version: string };
  /** Prometheus and the app ports (host:port) it scrapes. */
  prometheus: { host: string; port: number; targets: string[] };
  /**
   * TLS for the stack's servers (`sluice stack up --tls`, SLUICE_STACK_TLS): a CA and a loopback
   * server certificate generated once into `dir` (`<home>/tls`), Postgres with `ssl=on`.
   */
  tls: { enabled: boolean; dir: string };
  /** Seconds `up` waits for a part to answer before it gives up and names the part's log. */
  startTimeoutSeconds: number;
}

export function stackLayout(projectRoot: string, env: Environment = process.env): StackLayout {
  const root = resolve(projectRoot);
  const home = resolve(envString('SLUICE_HOME', join(root, '.sluice'), env));
  return {
    projectRoot: root,
    home,
    cacheDir: resolve(envString('SLUICE_CACHE_DIR', join(homedir(), '.cache', 'sluice'), env)),
    instanceId: createHash('sha256').update(home).digest('hex').slice(0, 10),
    kafka: {
      host: '127.0.0.1',
      port: envInt('SLUICE_KAFKA_PORT', 9092, env),
      controllerPort: envInt('SLUICE_KAFKA_CONTROLLER_PORT', 9093, env),
      saslSslPort: envInt('SLUICE_KAFKA_SASL_SSL_PORT', 9094, env),
      version: envString('SLUICE_KAFKA_VERSION', '4.1.2', env),
      heap: envString('SLUICE_KAFKA_HEAP', '512m', env),
    },
    postgres: {
      host: '127.0.0.1',
      port: envInt('SLUICE_POSTGRES_PORT', 5433, env),
      user: 'postgres',
      password: 'postgres',
      databases: ['source', 'sink', 'registry'],
    },
    registry: { host: '127.0.0.1', port: envInt('SLUICE_REGISTRY_PORT', 8081, env) },
    jaeger: {
      host: '127.0.0.1',
      otlpGrpcPort: envInt('SLUICE_JAEGER_OTLP_GRPC_PORT', 4317, env),
      otlpHttpPort: envInt('SLUICE_JAEGER_OTLP_HTTP_PORT', 4318, env),
      queryPort: envInt('SLUICE_JAEGER_PORT', 16686, env),
      version: envString('SLUICE_JAEGER_VERSION', '1.76.0', env),
    },
    prometheus: {
      host: '127.0.0.1',
      port: envInt('SLUICE_PROMETHEUS_PORT', 9090, env),
      // The registry and the app ports of the local stack (source-postgres, transformer, sinks,
      // source-webhook, source-http-poll).
      targets: envString(
        'SLUICE_PROMETHEUS_TARGETS',
        [envInt('SLUICE_REGISTRY_PORT', 8081, env), 8101, 8102, 8103, 8104, 8105, 8106]
          .map((p) => `127.0.0.1:${p}`)
          .join(','),
        env,
      )
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0),
    },
    tls: { enabled: envFlag('SLUICE_STACK_TLS', false, env), dir: join(home, 'tls') },
    startTimeoutSeconds: envInt('SLUICE_STACK_TIMEOUT', 120, env),
  };
}

/** The layout with TLS switched on (`sluice stack up --tls`); the caller's layout is left as it was. */
export function withTls(layout: StackLayout): StackLayout {
  return { ...layout, tls: { ...layout.tls, enabled: true } };
}

/** A machine-wide scratch folder for this stack, for what must live outside the project tree. */
export function machineScratchDir(layout: StackLayout): string {
  return join(tmpdir(), `sluice-${layout.instanceId}`);
}
