import { randomUUID } from 'node:crypto';
import { type KafkaMessage } from 'kafkajs';
import { createConsumer, createKafkaClient, type KafkaConfig } from '@sluice/kafka';
import {
  basicAuthorization,
  ConfluentSchemaRegistryClient,
  RecordDecoder,
  type SchemaRegistryConfig,
} from '@sluice/schema';
import { headersToReadable, toReadable } from '@sluice/pipeline';

export interface RecordedSchema {
  id: number;
  subject?: string;
  version?: number;
  schema: unknown;
}

/** One captured record as a fixture input: decoded, readable, with its writer schemas. */
export interface RecordedInput {
  keySchema?: RecordedSchema;
  valueSchema?: RecordedSchema;
  records: Array<{
    topic: string;
    partition: number;
    offset: string;
    timestamp: number;
    headers: Record<string, unknown>;
    key: unknown;
    value: unknown;
  }>;
}

export interface RecordOptions {
  kafka: KafkaConfig;
  registry: SchemaRegistryConfig;
  topic: string;
  count: number;
  timeoutMs: number;
}

/**
 * Reads the first `count` records of a topic (from the beginning, every partition) with a
 * throw-away consumer group, decodes them with the registry and returns them as fixture inputs.
 * Keys that are not Confluent-framed Avro are kept as UTF-8 text.
 */
export async function recordTopic(options: RecordOptions): Promise<RecordedInput[]> {
  const registry = new ConfluentSchemaRegistryClient(options.registry);
  const decoder = new RecordDecoder(registry);
  const schemas = new Map<number, Promise<RecordedSchema>>();
  const schemaInfo = (id: number, subject: string) => {
    let info = schemas.get(id);
    if (!info) {
      info = describeSchema(options.registry, registry, id, subject);
      schemas.set(id, info);
    }
    return info;
  };

  const kafka = createKafkaClient(options.kafka);
  const groupId = `sluice-record-${randomUUID()}`;
  const consumer = createConsumer(kafka, { groupId });
  const messages: Array<{ partition: number; message: KafkaMessage }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(done, options.timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (messages.length >= options.count) return;
            messages.push({ partition, message });
            if (messages.length >= options.count) {
              clearTimeout(timer);
              done();
            }
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }

  const cases: RecordedInput[] = [];
  for (const { partition, message } of messages.sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
  )) {
    const where = `${options.topic}-${partition}@${message.offset}`;
    const key = await decodeKey(decoder, message.key);
    let value: unknown = null;
    let valueSchema: RecordedSchema | undefined;
    if (message.value) {
      let decoded;
      try {
        decoded = await decoder.decode(message.value);
      } catch (error) {
        throw new Error(`${where}: the value does not decode (${(error as Error).message})`, {
          cause: error,
        });
      }
      value = toReadable(decoded.value);
      valueSchema = await schemaInfo(decoded.schemaId, `${options.topic}-value`);
    }
    const keySchema =
      key.schemaId === undefined ? undefined : await schemaInfo(key.schemaId, `${options.topic}-key`);
    cases.push({
      ...(keySchema ? { keySchema } : {}),
      ...(valueSchema ? { valueSchema } : {}),
      records: [
        {
          topic: options.topic,
          partition,
          offset: message.offset,
          timestamp: Number(message.timestamp),
          headers: headersToReadable(
            Object.entries(message.headers ?? {}).flatMap(([k, v]) =>
              (Array.isArray(v) ? v : [v]).map((one) => ({
                key: k,
                value: one === undefined ? null : Buffer.from(one),
              })),
            ),
          ),
          key: key.value,
          value,
        },
      ],
    });
  }
  return cases;
}

async function decodeKey(
  decoder: RecordDecoder,
  key: Buffer | null,
): Promise<{ value: unknown; schemaId?: number }> {
  if (!key) return { value: null };
  if (key.length >= 5 && key[0] === 0) {
    try {
      const decoded = await decoder.decode(key);
      return { value: toReadable(decoded.value), schemaId: decoded.schemaId };
    } catch {
      // not Avro after all: keep the bytes as text below
    }
  }
  return { value: key.toString('utf8') };
}

async function describeSchema(
  registryConfig: SchemaRegistryConfig,
  registry: ConfluentSchemaRegistryClient,
  id: number,
  subject: string,
): Promise<RecordedSchema> {
  const text = await registry.schemaById(id);
  let version: number | undefined;
  try {
    const response = await fetch(`${registryConfig.url}/schemas/ids/${id}/versions`, {
      headers: registryConfig.auth ? { authorization: basicAuthorization(registryConfig.auth) } : {},
    });
    if (response.ok) {
      const versions = (await response.json()) as Array<{ subject: string; version: number }>;
      version = versions.find((v) => v.subject === subject)?.version;
    }
  } catch {
    // informational only
  }
  return { id, subject, ...(version !== undefined ? { version } : {}), schema: JSON.parse(text) as unknown };
}
