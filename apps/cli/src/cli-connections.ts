import { type Admin } from 'kafkajs';
import { Option } from 'commander';
import { envInt } from '@sluice/config';
import { createKafkaClient, type KafkaConfig, kafkaConfigSchema } from '@sluice/kafka';
import { httpUrl, UsageError } from './cli-errors';

/** `--brokers <list>`: Kafka's bootstrap brokers, the local stack's by default. */
export function brokersOption(): Option {
  return new Option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated').default(
    `127.0.0.1:${envInt('SLUICE_KAFKA_PORT', 9092)}`,
  );
}

/** `-r, --registry <url>`: the schema registry, the local stack's by default. */
export function registryOption(): Option {
  return new Option('-r, --registry <url>', 'the schema registry')
    .argParser(httpUrl('--registry'))
    .default(`http://127.0.0.1:${envInt('SLUICE_REGISTRY_PORT', 8081)}`);
}

/**
 * Kafka settings for a CLI command from `--brokers`: a bad list is a usage error; an unreachable
 * broker fails fast (a person is waiting), in a few seconds rather than the apps' patient retries.
 */
export function cliKafkaConfig(brokers: string, clientId: string): KafkaConfig {
  const parsed = kafkaConfigSchema.safeParse({
    brokers,
    clientId,
    logLevel: 'nothing',
    connectionTimeoutMs: 3_000,
    retry: { retries: 2, initialRetryTimeMs: 300, maxRetryTimeMs: 2_000 },
  });
  if (!parsed.success) throw new UsageError(`--brokers expects host:port[,host:port...], got '${brokers}'`);
  return parsed.data;
}

/** Runs `work` with a connected admin client; a broker that does not answer is one line naming it. */
export async function withKafkaAdmin<T>(config: KafkaConfig, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafkaClient(config).admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${config.brokers.join(',')}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
