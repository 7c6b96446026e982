// A private Kafka broker with a SASL_SSL listener (the local stack's `--tls`: its CA, SCRAM-SHA-512
// and PLAIN for one generated user) on free ports under a temporary SLUICE_HOME, so the suites never
// restart the shared broker; and the `kafka:` sections apps use to reach it.
import { type KafkaConfigInput } from '@sluice/kafka';
import { KafkaPart, type KafkaSaslSslEndpoint, type LocalStack } from '@sluice/stack';
import { freePort, privateStack } from '../observability/observability-harness';

export interface SaslSslKafka {
  readonly stack: LocalStack;
  readonly endpoint: KafkaSaslSslEndpoint;
  /** Stops the broker and removes its data. */
  stop(): Promise<void>;
}

/** Starts the broker (retried on a port taken meanwhile, as privateKafka does). */
export async function privateSaslSslKafka(): Promise<SaslSslKafka> {
  for (let attempt = 1; ; attempt++) {
    const stack = privateStack({
      SLUICE_KAFKA_PORT: String(await freePort()),
      SLUICE_KAFKA_CONTROLLER_PORT: String(await freePort()),
      SLUICE_KAFKA_SASL_SSL_PORT: String(await freePort()),
      SLUICE_KAFKA_HEAP: '256m',
      SLUICE_STACK_TIMEOUT: '60',
      SLUICE_STACK_TLS: '1',
    });
    try {
      if ((await stack.up(['kafka'])).kafka !== 'started')
        throw new Error('the private broker did not start');
      const endpoint = new KafkaPart(stack.layout).saslSsl!;
      return { stack, endpoint, stop: () => stack.down(['kafka'], { purge: true }).then(() => undefined) };
    } catch (error) {
      await stack.down(['kafka'], { purge: true }).catch(() => undefined);
      if (attempt === 3) throw error;
    }
  }
}

/** An app's `kafka:` section for the SASL_SSL listener: SCRAM-SHA-512 (by default) and the stack's CA. */
export function saslSslKafkaConfig(
  endpoint: KafkaSaslSslEndpoint,
  clientId: string,
  overrides: { mechanism?: 'scram-sha-512' | 'plain'; password?: string; ca?: string } = {},
): KafkaConfigInput {
  return {
    brokers: [endpoint.address],
    clientId,
    tls: { enabled: true, ca: overrides.ca ?? endpoint.caFile },
    sasl: {
      mechanism: overrides.mechanism ?? 'scram-sha-512',
      username: endpoint.user.username,
      password: overrides.password ?? endpoint.user.password,
    },
  };
}
