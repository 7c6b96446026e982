import {
  type HealthProbe,
  type HealthProbes,
  phaseProbe,
  postgresReachable,
  progressProbe,
  reachabilityProbe,
} from '@sluice/observability';
import { type SourceConfig } from '../config/source-config';
import { type PostgresSource } from '../source/postgres-source';
import { type SourcePhase } from '../source/source-status';

/**
 * Phases in which the source serves: streaming, or paused by an operator (its choice, still
 * healthy). Not while it snapshots: the topics do not yet hold the tables' state, and a rolling
 * deploy must not take the old instance away for one that is still copying.
 */
const READY_PHASES: ReadonlySet<SourcePhase> = new Set(['streaming', 'paused']);

/**
 * Live: the process answers, the source has not failed for good (a restart may help then) and it
 * is not stalled (events waiting `liveness.stallAfterMs` with nothing acknowledged while Postgres,
 * Kafka and the registry answer).
 * Ready: it streams and Postgres, Kafka and the registry answer. While it retries a lost dependency
 * it stays live but not ready, so Kubernetes does not restart it into a crash loop.
 */
export function sourceProbes(
  source: PostgresSource,
  config: Pick<SourceConfig, 'postgres'>,
  host: { readonly kafka: HealthProbe; readonly registry: HealthProbe },
): HealthProbes {
  const state = () => {
    const { phase, lastError } = source.status();
    return { phase, lastError };
  };
  const dependencies = [
    reachabilityProbe('postgres', postgresReachable({ ...config.postgres, ssl: source.connection.ssl })),
    host.kafka,
    host.registry,
  ];
  return {
    live: [
      phaseProbe('source', state, (phase) => phase !== 'failed'),
      progressProbe('progress', source.liveness, dependencies),
    ],
    ready: [phaseProbe('source', state, (phase) => READY_PHASES.has(phase)), ...dependencies],
  };
}
