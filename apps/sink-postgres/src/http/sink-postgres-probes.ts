import { KafkaReachability } from '@sluice/kafka';
import {
  groupMembershipProbe,
  httpReachable,
  type HealthProbes,
  phaseProbe,
  postgresReachable,
  progressProbe,
  reachabilityProbe,
} from '@sluice/observability';
import { type PostgresSink } from '@sluice/sink-postgres';
import { type SinkPostgresAppConfig } from '../config/sink-postgres-app-config';

/**
 * Live: the runtime has not stopped on a failure (a restart resumes from the offsets stored in the
 * target) and is not stalled (records waiting `liveness.stallAfterMs` with nothing committed while
 * the target, Kafka and the registry answer). Ready: it consumes as a settled group member, and the target database, Kafka and the
 * registry answer.
 */
export function sinkPostgresProbes(
  sink: PostgresSink,
  config: SinkPostgresAppConfig,
  kafka: KafkaReachability,
): HealthProbes {
  const state = () => {
    const { phase, lastError } = sink.status();
    return { phase, lastError };
  };
  const dependencies = [
    reachabilityProbe('postgres', postgresReachable(config.target)),
    reachabilityProbe('kafka', () => kafka.check()),
    reachabilityProbe(
      'registry',
      httpReachable(new URL('/subjects', config.registry.url).href, config.registry.auth),
    ),
  ];
  return {
    live: [
      phaseProbe('sink-postgres', state, (phase) => phase !== 'failed'),
      progressProbe('progress', sink.runtime.liveness!, dependencies),
    ],
    ready: [
      phaseProbe('sink-postgres', state, (phase) => phase === 'running'),
      groupMembershipProbe(() => sink.status()),
      ...dependencies,
    ],
  };
}
