// Shared by the source-http-poll suites: the app started in-process (createConnectorApp) against a
// PollTestApi, on topics and an offsets topic unique to the suite; the stream topics' committed
// records read back decoded, and the committed cursors read from the offsets topic.
// `cleanup` closes every app started here and deletes the suite's topics.
import { type Kafka } from 'kafkajs';
import { type z } from 'zod';
import { parseConfig } from '@sluice/config';
import { type ConnectorApp, createConnectorApp } from '@sluice/connect';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import {
  type HttpPollSource,
  OP_HEADER,
  type PollCursor,
  sourceHttpPollConnector,
  VERSION_HEADER,
} from '@sluice/source-http-poll';
import { readCommitted, stackAddresses, uniqueName, until } from '@sluice/test-support';

export type PollApp = ConnectorApp<HttpPollSource>;
export type PollAppConfig = z.input<typeof sourceHttpPollConnector.configSchema>;
export type StreamConfig = PollAppConfig['streams'][number];

/** One record of a stream topic: key and value decoded (null for a tombstone), op and version headers. */
export interface PolledRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string;
  readonly value: Record<string, unknown> | null;
  readonly op: string;
  readonly version: string | undefined;
}

export class PollTestBed {
  readonly kafka: Kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stackAddresses().kafkaBrokers,
      clientId: 'sluice-it-source-http-poll',
      logLevel: 'nothing',
    }),
  );
  readonly offsetsTopic = uniqueName('it-http-poll-offsets');
  private readonly decoder = new RecordDecoder(
    new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }),
  );
  private readonly apps = new Set<PollApp>();
  private readonly topics = new Set<string>([this.offsetsTopic]);

  /** A topic name unique to this run, deleted at cleanup (the app creates it). */
  topic(prefix: string): string {
    const name = uniqueName(`it-http-poll-${prefix}`);
    this.topics.add(name);
    return name;
  }

  /** The app's configuration on the local stack: `streams` and `overrides` over quiet defaults. */
  config(streams: StreamConfig[], overrides: Partial<PollAppConfig> = {}): PollAppConfig {
    const stack = stackAddresses();
    return {
      streams,
      offsets: { topic: this.offsetsTopic },
      topics: { partitions: 2 },
      kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-source-http-poll', logLevel: 'nothing' },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port: 0 },
      logging: { level: 'error' },
      tracing: { enabled: false },
      ...overrides,
    };
  }

  /** Parses `config` as the app would and serves it in-process; does not wait until it runs. */
  async startApp(config: PollAppConfig): Promise<PollApp> {
    const app = await createConnectorApp<HttpPollSource>(
      sourceHttpPollConnector,
      parseConfig(sourceHttpPollConnector.configSchema, config),
    );
    this.apps.add(app);
    return app;
  }

  /** Starts an app and waits until its streams poll. */
  async runningApp(config: PollAppConfig): Promise<PollApp> {
    const app = await this.startApp(config);
    await until(
      () => app.connector.phase === 'running',
      30_000,
      'source-http-poll running',
      () => JSON.stringify(app.connector.status()),
    );
    return app;
  }

  async stopApp(app: PollApp): Promise<void> {
    if (this.apps.delete(app)) await app.close();
  }

  /** Every committed record of `topic`, decoded, partitions in order. */
  async records(topic: string): Promise<PolledRecord[]> {
    const out: PolledRecord[] = [];
    for (const records of (await readCommitted(this.kafka, topic)).values())
      for (const r of records) {
        const header = (name: string) => {
          const v = r.headers[name];
          return v === undefined ? undefined : (Array.isArray(v) ? v[0]! : v).toString('utf8');
        };
        out.push({
          partition: r.partition,
          offset: r.offset,
          key: (await this.decoder.decode<string>(r.key!)).value,
          value:
            r.value === null
              ? null
              : structuredClone((await this.decoder.decode<Record<string, unknown>>(r.value)).value),
          op: header(OP_HEADER) ?? '',
          version: header(VERSION_HEADER),
        });
      }
    return out;
  }

  /** Every committed cursor of `stream` in the offsets topic, oldest first. */
  async cursors(source: string, stream: string): Promise<PollCursor[]> {
    const out: PollCursor[] = [];
    for (const records of (await readCommitted(this.kafka, this.offsetsTopic)).values())
      for (const r of records)
        if (r.key?.toString() === JSON.stringify([source, stream]) && r.value)
          out.push(JSON.parse(r.value.toString()) as PollCursor);
    return out;
  }

  async cleanup(): Promise<void> {
    for (const app of this.apps) await this.stopApp(app).catch(() => undefined);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const mine = [...this.topics].filter((t) => existing.has(t));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }
}

type StreamStatus = { name: string; polls: number; failures: number; phase: string; lastError?: string };

function streamStatus(app: PollApp, stream: string): StreamStatus {
  return (app.connector.status() as { streams: StreamStatus[] }).streams.find((s) => s.name === stream)!;
}

/** Polls of `stream` that ended without failing (a failed poll is retried at the next interval). */
export function pollsDone(app: PollApp, stream: string): number {
  const s = streamStatus(app, stream);
  return s.polls - s.failures;
}

/**
 * Waits until `stream` of `app` finished at least `polls` polls without failing and is waiting for
 * the next. A failed poll (the broker still electing a new topic's leader) does not count: the
 * assertions that follow are about what a poll published.
 */
export async function polled(app: PollApp, stream: string, polls: number, timeoutMs = 30_000): Promise<void> {
  await pollsEnded(app, stream, polls, timeoutMs, () => pollsDone(app, stream));
}

/** Waits until `stream` of `app` ended at least `polls` polls, failed or not (a stream that fails on purpose). */
export async function pollsEnded(
  app: PollApp,
  stream: string,
  polls: number,
  timeoutMs = 30_000,
  count = () => streamStatus(app, stream).polls,
): Promise<void> {
  await until(
    () => {
      const { phase } = streamStatus(app, stream);
      return count() >= polls && phase !== 'polling' && phase !== 'reconciling';
    },
    timeoutMs,
    `${stream} to finish ${polls} polls`,
    () => JSON.stringify(streamStatus(app, stream)),
  );
}

export { until };
