import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess } from './app-process';
import { type DemoPlan } from './demo-plan';

/** Where the demo's console listens (the local stack's console port). */
export const DEMO_CONSOLE_URL = 'http://127.0.0.1:8100';

/**
 * The web console over the demo's apps, as its own process (`dist/apps/console`), its configuration
 * written beside the logs: every app of the plan, the stack's Kafka and registry, and the Jaeger and
 * Prometheus links when they run. Optional: a console that cannot start is reported, the demo goes on.
 */
export function demoConsole(
  plan: DemoPlan,
  options: {
    readonly projectRoot: string;
    readonly logDir: string;
    readonly kafkaBrokers: readonly string[];
    readonly registryUrl: string;
    readonly observability: boolean;
  },
): AppProcess {
  mkdirSync(options.logDir, { recursive: true });
  const configFile = join(options.logDir, 'console.json');
  const { jaeger, prometheus } = plan.observability;
  writeFileSync(
    configFile,
    JSON.stringify({
      // Each app traces as its app name (the trace links' service filter).
      apps: plan.apps.map((app) => ({ url: app.url, service: app.name })),
      kafka: { brokers: options.kafkaBrokers, clientId: 'sluice-demo-console', logLevel: 'nothing' },
      registry: { url: options.registryUrl },
      http: { host: '127.0.0.1', port: Number(new URL(DEMO_CONSOLE_URL).port) },
      ...(options.observability && jaeger && prometheus ? { links: { jaeger, prometheus } } : {}),
      logging: { level: 'warn' },
    }),
  );
  return new AppProcess({
    app: 'console',
    projectRoot: options.projectRoot,
    configFile,
    url: DEMO_CONSOLE_URL,
    logFile: join(options.logDir, 'console.log'),
  });
}
