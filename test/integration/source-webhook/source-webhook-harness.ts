// Shared by the source-webhook suites: the app started in-process (createConnectorApp, HTTP on a
// free port) on topics unique to the suite, requests sent to it as a provider would, and the
// topics' committed records read back with their keys and values decoded through the registry.
// `cleanup` closes every app started here and deletes the suite's topics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, type Kafka } from 'kafkajs';
import { type z } from 'zod';
import { parseConfig } from '@sluice/config';
import { type ConnectorApp, createConnectorApp } from '@sluice/connect';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { DELIVERY_ID_HEADER, sourceWebhookConnector, type WebhookSource } from '@sluice/source-webhook';
import { readCommitted, stackAddresses, uniqueName, until } from '@sluice/test-support';

export type WebhookApp = ConnectorApp<WebhookSource>;
export type WebhookAppConfig = z.input<typeof sourceWebhookConnector.configSchema>;
export type EndpointConfig = WebhookAppConfig['endpoints'][number];

/** One record of an endpoint topic: key (an Avro string) and value decoded, headers as text. */
export interface WebhookRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string;
  readonly value: Record<string, unknown>;
  readonly headers: Readonly<Record<string, string>>;
  /** The `sluice.webhook.delivery-id` header: `<endpoint>:<id>`. */
  readonly deliveryId: string;
}

/** An answer of the app: status, headers and the JSON body (`{ raw }` when it is not JSON). */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export class WebhookTestBed {
  readonly kafka: Kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stackAddresses().kafkaBrokers,
      clientId: 'sluice-it-source-webhook',
      logLevel: 'nothing',
    }),
  );
  private readonly decoder = new RecordDecoder(
    new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }),
  );
  private readonly apps = new Set<WebhookApp>();
  private readonly topics = new Set<string>();
  private readonly dirs: string[] = [];
  private readonly admin: Admin = this.kafka.admin();
  private adminConnected: Promise<void> | undefined;

  /** A topic name unique to this run, deleted at cleanup (the app creates it). */
  topic(prefix: string): string {
    const name = uniqueName(`it-webhook-${prefix}`);
    this.topics.add(name);
    return name;
  }

  /** A temporary folder (schema files), removed at cleanup. */
  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-webhook-it-'));
    this.dirs.push(dir);
    return dir;
  }

  /** The app's configuration on the local stack: `endpoints` and `overrides` over quiet defaults. */
  config(endpoints: EndpointConfig[], overrides: Partial<WebhookAppConfig> = {}): WebhookAppConfig {
    const stack = stackAddresses();
    return {
      endpoints,
      kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-source-webhook', logLevel: 'nothing' },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port: 0 },
      logging: { level: 'error' },
      tracing: { enabled: false },
      ...overrides,
    };
  }

  /** Parses `config` as the app would and serves it in-process; does not wait until it runs. */
  async startApp(config: WebhookAppConfig, options: { baseDir?: string } = {}): Promise<WebhookApp> {
    const app = await createConnectorApp<WebhookSource>(
      sourceWebhookConnector,
      parseConfig(sourceWebhookConnector.configSchema, config),
      options.baseDir !== undefined ? { baseDir: options.baseDir } : {},
    );
    this.apps.add(app);
    return app;
  }

  /** Starts an app and waits until it answers webhooks (topics created, ledger caught up). */
  async runningApp(config: WebhookAppConfig, options: { baseDir?: string } = {}): Promise<WebhookApp> {
    const app = await this.startApp(config, options);
    await until(
      () => app.connector.phase === 'running',
      30_000,
      'source-webhook running',
      () => JSON.stringify(app.connector.status()),
    );
    return app;
  }

  /** Closes an app started here (again: nothing). */
  async stopApp(app: WebhookApp): Promise<void> {
    if (this.apps.delete(app)) await app.close();
  }

  /** Every committed record of `topic`, decoded, partitions in order. */
  async records(topic: string): Promise<WebhookRecord[]> {
    const out: WebhookRecord[] = [];
    for (const records of (await readCommitted(this.kafka, topic)).values())
      for (const r of records) {
        const headers = Object.fromEntries(
          Object.entries(r.headers).map(([k, v]) => [k, (Array.isArray(v) ? v[0]! : v).toString('utf8')]),
        );
        out.push({
          partition: r.partition,
          offset: r.offset,
          key: (await this.decoder.decode<string>(r.key!)).value,
          // structuredClone: plain objects (avsc decodes into record classes), for deepEqual.
          value: structuredClone((await this.decoder.decode<Record<string, unknown>>(r.value!)).value),
          headers,
          deliveryId: headers[DELIVERY_ID_HEADER] ?? '',
        });
      }
    return out;
  }

  /** The end offsets of `topics`, `topic:partition=high`: equal before and after means nothing was written. */
  async endOffsets(...topics: string[]): Promise<string[]> {
    const admin = await this.kafkaAdmin();
    const out: string[] = [];
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic)) out.push(`${topic}:${p.partition}=${p.high}`);
    return out.sort();
  }

  async cleanup(): Promise<void> {
    for (const app of this.apps) await this.stopApp(app).catch(() => undefined);
    const admin = await this.kafkaAdmin().catch(() => undefined);
    if (admin) {
      const existing = new Set(await admin.listTopics());
      const mine = [...this.topics].filter((t) => existing.has(t));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
    }
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }

  /** The suite's admin client, connected on first use. */
  private async kafkaAdmin(): Promise<Admin> {
    await (this.adminConnected ??= this.admin.connect());
    return this.admin;
  }
}

/** POSTs `body` (sent byte for byte) to `path` of the app with `headers`. */
export async function send(
  app: Pick<WebhookApp, 'url'>,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Reply> {
  const response = await fetch(`${app.url}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A JSON webhook with `headers` beside its content type. */
export function json(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', ...extra };
}

export { until };

/** Seconds since the epoch, as providers sign timestamps. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
