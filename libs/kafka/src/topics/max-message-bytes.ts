import { type Admin, ConfigResourceTypes } from 'kafkajs';

/** The broker's default `message.max.bytes`: what a topic holds when nothing says otherwise. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Each topic's effective `max.message.bytes` (its own setting or the broker's default), the
 * largest record batch it accepts. Topics the cluster does not describe to this client (ACLs, a
 * topic deleted meanwhile) are left out: the caller falls back to Kafka's default.
 */
export async function readMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const limits = new Map<string, number>();
  if (topics.length === 0) return limits;
  const described = await admin
    .describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['max.message.bytes'],
      })),
    })
    .catch(() => ({ resources: [] }));
  for (const resource of described.resources) {
    const value = Number(
      resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue,
    );
    if (Number.isSafeInteger(value) && value > 0) limits.set(resource.resourceName, value);
  }
  return limits;
}
