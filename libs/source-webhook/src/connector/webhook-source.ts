import { type Kafka } from 'kafkajs';
import { type RunningConnector, type ConnectorConfig, type ConnectorContext } from '@sluice/connect';
import { type Backoff, DeadlineExceededError, nextDelay, systemClock, withDeadline } from '@sluice/errors';
import { createKafkaClient, createProducer, RenewingProducer } from '@sluice/kafka';
import { type Connector, type ConnectorStatus } from '@sluice/management';
import {
  counter,
  histogram,
  LATENCY_BUCKETS_SECONDS,
  type Logger,
  MessageTracing,
  phaseProbe,
} from '@sluice/observability';
import { RecordEncoder } from '@sluice/schema';
import { type FastifyInstance } from 'fastify';
import { BatchedPublisher, RecordNotSentError } from '../intake/batched-publisher';
import { type WebhookRequest, WebhookEndpoint } from '../intake/webhook-endpoint';
import { WebhookRejection } from '../intake/webhook-rejection';
import { DELIVERY_ID_HEADER, DeliveryLedger } from '../ledger/delivery-ledger';
import { type sourceWebhookSettings } from './webhook-settings';

export type SourceWebhookConfig = ConnectorConfig<typeof sourceWebhookSettings>;

export type WebhookSourcePhase = 'starting' | 'running' | 'paused' | 'stopping' | 'stopped';

/** The record header carrying the event type, when the endpoint names one. */
export const EVENT_TYPE_HEADER = 'sluice.webhook.event-type';

const requests = counter({
  name: 'sluice_webhook_requests_total',
  help: 'Webhook requests answered, by endpoint and outcome (accepted, duplicate, or why refused).',
  labelNames: ['endpoint', 'outcome'],
});
const latency = histogram({
  name: 'sluice_webhook_request_duration_seconds',
  help: 'From request received to answer sent, by endpoint (an accepted one includes Kafka’s acknowledgement).',
  labelNames: ['endpoint'],
  buckets: LATENCY_BUCKETS_SECONDS,
});

/** Retries of a start while Kafka or the registry is away: 1 s doubling to 10 s, as the consumers'. */
const START_BACKOFF: Backoff = { initialDelayMs: 1_000, maxDelayMs: 10_000, multiplier: 2, jitter: 'equal' };

const OUTCOMES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  413: 'too_large',
  415: 'unsupported_type',
  429: 'rate_limited',
  503: 'unavailable',
};

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfterSeconds?: number;
}

/**
 * Webhooks into Kafka: each endpoint's requests are limited, verified, parsed, keyed and
 * deduplicated (WebhookEndpoint, DeliveryLedger), then written with acks=all by the idempotent
 * producer; the sender gets its 2xx only once Kafka has the event, a 503 with Retry-After while
 * Kafka does not answer, so the sender's own retries cover every outage.
 */
export class WebhookSource implements RunningConnector {
  readonly endpoints: readonly WebhookEndpoint[];
  readonly management: readonly Connector[];
  readonly probes: RunningConnector['probes'];
  readonly http: RunningConnector['http'];
  private readonly kafka: Kafka;
  private readonly encoder: RecordEncoder;
  private readonly tracing = new MessageTracing('sluice.source-webhook');
  private readonly publisher: BatchedPublisher;
  private readonly ledger: DeliveryLedger;
  /** Renewed after a failed write (see BatchedPublisher). */
  private producer: RenewingProducer | undefined;
  private phaseNow: WebhookSourcePhase = 'starting';
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private lastError: string | undefined;
  private starting: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly counts = new Map<string, Record<string, number>>();

  constructor(
    private readonly config: SourceWebhookConfig,
    private readonly context: ConnectorContext,
  ) {
    this.endpoints = config.endpoints.map((e) => new WebhookEndpoint(e, context.baseDir));
    for (const e of this.endpoints)
      if (e.config.verify.scheme === 'none')
        context.logger.warn(
          { endpoint: e.name },
          'SIGNATURE VERIFICATION IS OFF for this endpoint: anyone who can reach it can write to its topic',
        );
    this.kafka = createKafkaClient(config.kafka);
    this.encoder = new RecordEncoder(context.registry);
    this.publisher = new BatchedPublisher(() => this.producer);
    this.ledger = new DeliveryLedger(
      this.kafka,
      [...new Set(this.endpoints.map((e) => e.topic))],
      config.deduplication.windowSeconds * 1000,
      context.logger,
    );
    this.management = [this.managementEntry()];
    const state = () => ({ phase: this.phaseNow, lastError: this.lastError });
    this.probes = {
      live: [phaseProbe('source-webhook', state, () => true)],
      ready: [
        phaseProbe('source-webhook', state, (phase) => phase === 'running'),
        context.dependencies.kafka,
        context.dependencies.registry,
      ],
    };
    this.http = { routes: (fastify) => this.serve(fastify), requestTimeoutMs: config.requestTimeoutMs };
  }

  private get logger(): Logger {
    return this.context.logger;
  }

  get phase(): WebhookSourcePhase {
    return this.phaseNow;
  }

  /** Creates missing topics, connects and reads the ledger's window, retrying while Kafka is away; answers 503 meanwhile. */
  start(): void {
    this.starting = this.connect(this.stopping.signal);
  }

  private async connect(signal: AbortSignal): Promise<void> {
    // What an attempt stopped midway had opened is closed again: stop() may have given up on it.
    const abandon = async () => {
      await this.producer?.disconnect().catch(() => undefined);
      this.producer = undefined;
      await this.ledger.stop();
    };
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.ensureTopics();
        for (const endpoint of this.endpoints) await endpoint.resolveSchema(this.context.registry);
        if (signal.aborted) return;
        const producer = new RenewingProducer(() => createProducer(this.kafka), {
          deliveryTimeoutMs: this.config.publishing.deliveryTimeoutMs,
          onRenewed: (cause) =>
            this.logger.warn({ err: cause }, 'source-webhook producer renewed after a failed write'),
        });
        await producer.connect();
        this.producer = producer;
        if (signal.aborted) return await abandon();
        await this.ledger.start();
        if (signal.aborted) return await abandon();
        this.phaseNow = 'running';
        this.lastError = undefined;
        this.logger.info(
          { endpoints: this.endpoints.map((e) => ({ name: e.name, path: e.config.path, topic: e.topic })) },
          'source-webhook running',
        );
        return;
      } catch (error) {
        const delay = nextDelay(START_BACKOFF, attempt);
        this.lastError = (error as Error).message;
        this.logger.warn(
          { err: error, retryInMs: delay },
          `source-webhook waiting to retry: ${this.lastError}`,
        );
        await abandon();
        await systemClock.sleep(delay, signal).catch(() => undefined);
      }
    }
  }

  /**
   * Answers new requests 503, lets those in flight finish (Kafka's acknowledgement), then
   * disconnects. A start still waiting on Kafka is cut short: nothing is in flight then.
   */
  async stop(): Promise<void> {
    if (this.phaseNow === 'stopped') return;
    this.phaseNow = 'stopping';
    this.stopping.abort();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await withDeadline(this.starting ?? Promise.resolve(), 1_000, 'stopping the start').catch(
      () => undefined,
    );
    await this.producer?.disconnect().catch(() => undefined);
    await this.ledger.stop();
    this.phaseNow = 'stopped';
  }

  status(): object {
    return {
      name: this.config.name,
      phase: this.phaseNow,
      deduplication: { windowSeconds: this.config.deduplication.windowSeconds, remembered: this.ledger.size },
      endpoints: this.endpoints.map((e) => ({
        name: e.name,
        path: e.config.path,
        topic: e.topic,
        verify: e.config.verify.scheme,
        requests: { ...(this.counts.get(e.name) ?? {}) },
      })),
      inFlight: this.inFlight,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** One request, from arrival to answer. */
  async receive(endpoint: WebhookEndpoint, request: WebhookRequest): Promise<Answer> {
    if (this.phaseNow !== 'running')
      return unavailable(`source-webhook is ${this.phaseNow}`, this.config.publishing.retryAfterSeconds);
    this.inFlight++;
    const span = this.tracing.root(`receive webhook ${endpoint.name}`, () => ({
      'sluice.webhook.endpoint': endpoint.name,
    }));
    let failure: unknown;
    try {
      const admitted = endpoint.admit(request, Date.now());
      const { sendTimeoutMs, retryAfterSeconds } = this.config.publishing;
      const claim = await this.ledger.claim(admitted.deliveryId, sendTimeoutMs);
      if (claim.outcome === 'duplicate')
        return { status: 200, body: { status: 'duplicate', deliveryId: admitted.deliveryId } };
      if (claim.outcome === 'in-doubt')
        return unavailable('an earlier attempt of this delivery is still unresolved', retryAfterSeconds);
      let publishing: Promise<void> | undefined;
      try {
        const topic = endpoint.topic;
        // One after the other: an encoder answers at once once its schema is known, and a value
        // that fails at once must not leave a pending key encode unwatched.
        const key = await this.encoder.encode(`${topic}-key`, '"string"', admitted.key);
        const value = await this.encoder.encode(`${topic}-value`, endpoint.valueSchema, admitted.value);
        const send = this.tracing.send(span, topic);
        const headers: Record<string, string | Buffer> = {
          ...admitted.forwarded,
          [DELIVERY_ID_HEADER]: admitted.deliveryId,
          ...(admitted.eventType !== undefined ? { [EVENT_TYPE_HEADER]: admitted.eventType } : {}),
        };
        for (const h of send.headers()) headers[h.key] = h.value!;
        const publication = this.publisher.publish(topic, { key, value, headers });
        // The claim follows the record, not the answer: a record sent but unacknowledged when the
        // sender gets its 503 may still land, and until it is known a retry must not write again.
        publishing = publication.written.then(
          () => {
            send.end();
            claim.settle(true);
          },
          (error: unknown) => {
            send.end(error);
            claim.settle(error instanceof RecordNotSentError ? false : 'unknown');
            throw error;
          },
        );
        try {
          await withDeadline(publishing, sendTimeoutMs, `writing a webhook to ${topic}`);
        } catch (error) {
          publication.withdraw();
          throw error;
        }
        return { status: 200, body: { status: 'accepted', deliveryId: admitted.deliveryId } };
      } finally {
        if (publishing === undefined) claim.settle(false);
        else publishing.catch(() => undefined);
      }
    } catch (error) {
      failure = error;
      if (error instanceof WebhookRejection)
        return {
          status: error.status,
          body: { error: error.message },
          ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
        };
      // Kafka or the registry did not answer in time: the sender retries, the ledger dedups.
      this.lastError = (error as Error).message;
      this.logger.warn({ err: error, endpoint: endpoint.name }, 'webhook not written: answered 503');
      return unavailable(
        error instanceof DeadlineExceededError
          ? 'Kafka did not acknowledge in time'
          : 'the event could not be written',
        this.config.publishing.retryAfterSeconds,
      );
    } finally {
      span.end(failure);
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  private serve(fastify: FastifyInstance): Promise<void> {
    const bodyLimit = Math.max(...this.endpoints.map((e) => e.config.maxBodyBytes));
    return fastify.register(async (scope) => {
      // Raw bytes for every media type: signatures are over the body as sent, and the endpoint
      // itself says which types it takes (415 otherwise).
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
        done(null, body),
      );
      for (const endpoint of this.endpoints)
        scope.post(
          endpoint.config.path,
          { bodyLimit: endpoint.config.maxBodyBytes },
          async (request, reply) => {
            const started = process.hrtime.bigint();
            const answer = await this.receive(endpoint, {
              headers: request.headers as Record<string, string | undefined>,
              body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
              contentType: request.headers['content-type'],
            });
            this.count(endpoint.name, answer);
            latency.observe({ endpoint: endpoint.name }, Number(process.hrtime.bigint() - started) / 1e9);
            if (answer.retryAfterSeconds !== undefined)
              void reply.header('retry-after', String(answer.retryAfterSeconds));
            return reply.code(answer.status).send(answer.body);
          },
        );
      scope.addHook('onError', async (request, _reply, error) => {
        // Fastify's own refusals (a body over the limit) are counted too.
        const endpoint = this.endpoints.find((e) => e.config.path === request.routeOptions.url);
        const status = (error as { statusCode?: number }).statusCode;
        if (endpoint && status) this.count(endpoint.name, { status, body: {} });
      });
    }) as unknown as Promise<void>;
  }

  private count(endpoint: string, answer: Answer): void {
    const outcome =
      answer.status === 200
        ? String(answer.body.status)
        : (OUTCOMES[answer.status] ?? `http_${answer.status}`);
    requests.inc({ endpoint, outcome });
    const counts = this.counts.get(endpoint) ?? {};
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    this.counts.set(endpoint, counts);
  }

  private async ensureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [...new Set(this.endpoints.map((e) => e.topic))].filter((t) => !existing.has(t));
      if (missing.length > 0)
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: this.config.topics.partitions,
            replicationFactor: this.config.topics.replicationFactor,
            // Room for the largest body its endpoints accept, with the envelope and headers.
            configEntries: [{ name: 'max.message.bytes', value: String(this.maxRecordBytes(topic)) }],
          })),
        });
    } finally {
      await admin.disconnect();
    }
  }

  private maxRecordBytes(topic: string): number {
    const largest = Math.max(
      ...this.endpoints.filter((e) => e.topic === topic).map((e) => e.config.maxBodyBytes),
    );
    return Math.max(1_048_588, largest + 65_536);
  }

  private managementEntry(): Connector {
    return {
      name: this.config.name,
      type: 'source',
      status: (): ConnectorStatus => ({
        state:
          this.phaseNow === 'running'
            ? 'RUNNING'
            : this.phaseNow === 'paused'
              ? 'PAUSED'
              : this.phaseNow === 'starting'
                ? 'STARTING'
                : 'STOPPED',
        partitions: [],
        ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      }),
      // Paused: every request is answered 503 with Retry-After, so senders hold their events.
      pause: () => {
        if (this.phaseNow === 'running') this.phaseNow = 'paused';
      },
      resume: () => {
        if (this.phaseNow === 'paused') this.phaseNow = 'running';
      },
      restart: async () => {
        if (this.phaseNow === 'paused') this.phaseNow = 'running';
      },
      offsets: () => ({ partitions: [] }),
    };
  }
}

function unavailable(message: string, retryAfterSeconds: number): Answer {
  return { status: 503, body: { error: message }, retryAfterSeconds };
}
