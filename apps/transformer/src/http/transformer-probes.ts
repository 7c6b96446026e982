import { KafkaReachability } from '@sluice/kafka';
import {
  groupMembershipProbe,
  httpReachable,
  type HealthProbes,
  phaseProbe,
  progressProbe,
  reachabilityProbe,
} from '@sluice/observability';
import { type TransformerAppConfig } from '../config/transformer-app-config';
import { type Transformer } from '../processing/transformer';

/**
 * Live: the runtime has not stopped on a failure (then a restart resumes from the last commit) and
 * is not stalled (records waiting `liveness.stallAfterMs` with nothing committed while Kafka and the
 * registry answer).
 * Ready: it consumes as a settled group member (not while partitions move) and Kafka and the
 * registry answer.
 */
export function transformerProbes(
  transformer: Transformer,
  config: TransformerAppConfig,
  kafka: KafkaReachability,
): HealthProbes {
  const state = () => transformer.status();
  const dependencies = [
    reachabilityProbe('kafka', () => kafka.check()),
    reachabilityProbe(
      'registry',
      httpReachable(new URL('/subjects', config.registry.url).href, config.registry.auth),
    ),
  ];
  return {
    live: [
      phaseProbe('transformer', state, (phase) => phase !== 'failed'),
      progressProbe('progress', transformer.runtime.liveness!, dependencies),
    ],
    ready: [
      phaseProbe('transformer', state, (phase) => phase === 'running'),
      groupMembershipProbe(() => transformer.status()),
      ...dependencies,
    ],
  };
}
