import { type KafkaReachability } from '@sluice/kafka';
import {
  httpReachable,
  type HealthProbes,
  phaseProbe,
  progressProbe,
  reachabilityProbe,
} from '@sluice/observability';
import { type SinkHttpAppConfig } from '../config/sink-http-app-config';
import { type HttpSink } from '../processing/http-sink';

/**
 * Live: the runtime has not stopped on a failure (a restart resumes from the last commit) and is not
 * stalled (records waiting `liveness.stallAfterMs` with nothing committed while Kafka and the
 * registry answer and no destination's circuit is open). Ready: it
 * consumes as a settled group member and Kafka (and, for Avro, the registry) answer. Destinations
 * are not probed: an endpoint that is down is the circuit breaker's business (records wait, then go
 * to the DLQ) and restarting the sink would not help it.
 */
export function sinkHttpProbes(
  sink: HttpSink,
  config: SinkHttpAppConfig,
  kafka: KafkaReachability,
): HealthProbes {
  const state = () => {
    const { phase, lastError } = sink.status();
    return { phase, lastError };
  };
  const usesRegistry = config.keyFormat === 'avro' || config.valueFormat === 'avro';
  const registry = usesRegistry
    ? [
        reachabilityProbe(
          'registry',
          httpReachable(new URL('/subjects', config.registry.url).href, config.registry.auth),
        ),
      ]
    : [];
  return {
    live: [
      phaseProbe('sink-http', state, (phase) => phase !== 'failed'),
      progressProbe('progress', sink.runtime.liveness!, [
        reachabilityProbe('kafka', () => kafka.check()),
        ...registry,
      ]),
    ],
    ready: [
      phaseProbe('sink-http', state, (phase) => phase === 'running'),
      {
        name: 'consumer-group',
        check: () => {
          const { membership, group } = sink.status();
          return { up: membership === 'member', details: { group, membership } };
        },
      },
      reachabilityProbe('kafka', () => kafka.check()),
      ...registry,
    ],
  };
}
