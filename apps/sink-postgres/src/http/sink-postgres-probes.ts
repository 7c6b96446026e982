import { Client } from 'pg';
import { KafkaReachability } from '@sluice/kafka';
import { httpReachable, type HealthProbes, phaseProbe, reachabilityProbe } from '@sluice/observability';
import { type PostgresSink } from '@sluice/sink-postgres';
import { type SinkPostgresAppConfig } from '../config/sink-postgres-app-config';

/**
 * Live: the runtime has not stopped on a failure (a restart resumes from the offsets stored in the
 * target). Ready: it consumes as a settled group member, and the target database, Kafka and the
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
  return {
    live: [phaseProbe('sink-postgres', state, (phase) => phase !== 'failed')],
    ready: [
      phaseProbe('sink-postgres', state, (phase) => phase === 'running'),
      {
        name: 'consumer-group',
        check: () => {
          const { membership, group } = sink.status();
          return { up: membership === 'member', details: { group, membership } };
        },
      },
      reachabilityProbe('postgres', () => selectOne(config)),
      reachabilityProbe('kafka', () => kafka.check()),
      reachabilityProbe(
        'registry',
        httpReachable(new URL('/subjects', config.registry.url).href, config.registry.auth),
      ),
    ],
  };
}

/** A short connection and `SELECT 1`: the target database answers. */
async function selectOne(config: SinkPostgresAppConfig): Promise<void> {
  const { host, port, user, password, database } = config.target;
  const client = new Client({ host, port, user, password, database, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}
