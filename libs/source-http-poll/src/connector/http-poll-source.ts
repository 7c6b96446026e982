import { type Kafka } from 'kafkajs';
import { type Agent } from 'undici';
import { type RunningConnector, type ConnectorConfig, type ConnectorContext } from '@sluice/connect';
import { type Backoff, nextDelay, systemClock, TokenBucket, withDeadline } from '@sluice/errors';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { type Connector, type ConnectorStatus } from '@sluice/management';
import { type Logger, MessageTracing, phaseProbe } from '@sluice/observability';
import { RecordEncoder } from '@sluice/schema';
import { MalformedCursorError, type PollCursor } from '../cursor/poll-cursor';
import { CursorStore } from '../offsets/cursor-store';
import { ItemRecords } from '../polling/item-records';
import { PagePublisher, SourceFencedError } from '../polling/page-publisher';
import { PollStream } from '../polling/poll-stream';
import { ApiClient } from '../request/api-client';
import { HostLimits } from '../request/host-limits';
import { type sourceHttpPollSettings } from './http-poll-settings';

export type SourceHttpPollConfig = ConnectorConfig<typeof sourceHttpPollSettings>;

export type HttpPollSourcePhase = 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'failed';

/** Retries of a start while Kafka or the registry is away: 1 s doubling to 10 s, as the other connectors'. */
const START_BACKOFF: Backoff = { initialDelayMs: 1_000, maxDelayMs: 10_000, multiplier: 2, jitter: 'equal' };

/**
 * REST APIs into Kafka: each stream polls its endpoint on its schedule (PollStream) within the
 * API's limits (ApiClient, HostLimits) and publishes each page with its cursor in one Kafka
 * transaction (PagePublisher, CursorStore), so a crash at any moment repeats nothing and skips
 * nothing. At start the transactional producer fences an older instance, then the committed
 * cursors are read and each stream resumes from its own.
 */
export class HttpPollSource implements RunningConnector {
  readonly streams: readonly PollStream[];
  readonly management: readonly Connector[];
  readonly probes: RunningConnector['probes'];
  readonly done: Promise<void>;
  private readonly kafka: Kafka;
  private readonly cursors: CursorStore;
  private readonly publisher: PagePublisher;
  private readonly dispatcher: Agent;
  private readonly hosts = new Map<string, HostLimits>();
  private phaseNow: HttpPollSourcePhase = 'starting';
  private lastError: string | undefined;
  private readonly stopping = new AbortController();
  private polling: AbortController | undefined;
  private running: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private settleDone!: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    private readonly config: SourceHttpPollConfig,
    private readonly context: ConnectorContext,
  ) {
    this.kafka = createKafkaClient(config.kafka);
    this.cursors = new CursorStore(
      this.kafka,
      config.offsets.topic ?? `${config.name}.offsets`,
      config.name,
      context.logger,
    );
    this.publisher = new PagePublisher(
      this.kafka,
      `sluice-http-poll.${config.name}`,
      config.offsets.transactionTimeoutMs,
      context.logger,
    );
    this.dispatcher = ApiClient.dispatcher(config.requests);
    const encoder = new RecordEncoder(context.registry);
    const tracing = new MessageTracing('sluice.source-http-poll');
    this.streams = config.streams.map((stream) => {
      const client = new ApiClient(
        stream.name,
        stream.auth,
        config.requests,
        stream.rateLimit ? new TokenBucket(stream.rateLimit.perSecond, stream.rateLimit.burst) : undefined,
        (url) => this.hostLimits(url),
        this.dispatcher,
      );
      return new PollStream(stream, {
        client,
        records: new ItemRecords(stream, context.baseDir, encoder),
        publisher: this.publisher,
        cursors: this.cursors,
        kafka: this.kafka,
        logger: context.logger,
        tracing,
      });
    });
    this.done = new Promise<void>((resolve, reject) => (this.settleDone = { resolve, reject }));
    this.done.catch(() => undefined);
    this.management = [this.managementEntry()];
    const state = () => ({ phase: this.phaseNow, lastError: this.lastError });
    this.probes = {
      live: [phaseProbe('source-http-poll', state, (phase) => phase !== 'failed')],
      ready: [
        phaseProbe('source-http-poll', state, (phase) => phase === 'running' || phase === 'paused'),
        context.dependencies.kafka,
        context.dependencies.registry,
      ],
    };
  }

  private get logger(): Logger {
    return this.context.logger;
  }

  get phase(): HttpPollSourcePhase {
    return this.phaseNow;
  }

  /** Creates missing topics, fences older instances, reads the cursors and starts polling; retries while Kafka is away. */
  start(): void {
    this.starting = this.connect(this.stopping.signal);
  }

  private async connect(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.ensureTopics();
        await this.publisher.connect();
        // Stopped meanwhile: stop() may have disconnected before this producer was connected.
        if (signal.aborted) break;
        const cursors = await this.cursors.read();
        if (signal.aborted) break;
        this.phaseNow = 'running';
        this.lastError = undefined;
        this.logger.info(
          {
            transactionalId: this.publisher.transactionalId,
            streams: this.streams.map((s) => ({
              name: s.name,
              topic: s.config.topic,
              resumed: cursors.has(s.name),
            })),
          },
          'source-http-poll running',
        );
        this.poll(cursors);
        return;
      } catch (error) {
        if (error instanceof MalformedCursorError) {
          // The same record is read at every attempt: fail for good, naming it (the process exits).
          await this.publisher.disconnect();
          this.phaseNow = 'failed';
          this.lastError = error.message;
          this.logger.error({ err: error }, `source-http-poll failed: ${error.message}`);
          this.settleDone.reject(error);
          return;
        }
        const delay = nextDelay(START_BACKOFF, attempt);
        this.lastError = (error as Error).message;
        this.logger.warn(
          { err: error, retryInMs: delay },
          `source-http-poll waiting to retry: ${this.lastError}`,
        );
        await this.publisher.disconnect();
        await systemClock.sleep(delay, signal).catch(() => undefined);
      }
    }
    await this.publisher.disconnect();
  }

  /** Runs every stream's loop; a fenced producer fails the source (another instance took over). */
  private poll(cursors: ReadonlyMap<string, PollCursor> | undefined): void {
    const polling = new AbortController();
    this.polling = polling;
    this.running = Promise.all(this.streams.map((s) => s.run(cursors?.get(s.name), polling.signal))).then(
      () => undefined,
      (error: unknown) => {
        polling.abort();
        this.phaseNow = 'failed';
        this.lastError = (error as Error).message;
        this.logger.error({ err: error }, `source-http-poll failed: ${this.lastError}`);
        this.settleDone.reject(error instanceof SourceFencedError ? error : (error as Error));
      },
    );
  }

  /** Ends every poll at its next step (a page's transaction is committed or aborted, never half), then disconnects. */
  async stop(): Promise<void> {
    if (this.phaseNow === 'stopped') return;
    const failed = this.phaseNow === 'failed';
    this.phaseNow = 'stopping';
    this.stopping.abort();
    this.polling?.abort();
    await withDeadline(this.starting ?? Promise.resolve(), 1_000, 'stopping the start').catch(
      () => undefined,
    );
    await this.running;
    await this.publisher.disconnect();
    await this.dispatcher.close().catch(() => undefined);
    this.phaseNow = failed ? 'failed' : 'stopped';
    this.settleDone.resolve();
  }

  status(): object {
    return {
      name: this.config.name,
      phase: this.phaseNow,
      transactionalId: this.publisher.transactionalId,
      offsetsTopic: this.cursors.topic,
      streams: this.streams.map((s) => s.status()),
      hosts: [...this.hosts.values()].map((h) => ({
        host: h.host,
        circuit: h.breaker.state,
        ...(h.heldForMs > 0 ? { heldForMs: h.heldForMs } : {}),
      })),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private hostLimits(url: URL): HostLimits {
    let limits = this.hosts.get(url.host);
    if (!limits) {
      const configured = this.config.hosts[url.host] ?? this.config.hosts[url.hostname];
      limits = new HostLimits(
        url.host,
        configured ? new TokenBucket(configured.rateLimit.perSecond, configured.rateLimit.burst) : undefined,
        this.config.requests.circuitBreaker,
      );
      this.hosts.set(url.host, limits);
    }
    return limits;
  }

  private async ensureTopics(): Promise<void> {
    const { partitions, replicationFactor } = this.config.topics;
    await this.cursors.ensureTopic(replicationFactor);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = [...new Set(this.streams.map((s) => s.config.topic))];
      await new TopicProvisioner(admin).provision(
        topics.map((name) => ({ name, partitions, replicationFactor })),
      );
    } finally {
      await admin.disconnect();
    }
  }

  private managementEntry(): Connector {
    const pause = async () => {
      if (this.phaseNow !== 'running') return;
      this.phaseNow = 'paused';
      this.polling?.abort();
      await this.running;
    };
    const resume = () => {
      if (this.phaseNow !== 'paused') return;
      this.phaseNow = 'running';
      // Each stream goes on from the cursor it holds (the last it committed).
      this.poll(undefined);
    };
    return {
      name: this.config.name,
      type: 'source',
      status: (): ConnectorStatus => ({
        state:
          ({ starting: 'STARTING', running: 'RUNNING', paused: 'PAUSED', failed: 'FAILED' } as const)[
            this.phaseNow as 'running'
          ] ?? 'STOPPED',
        partitions: [],
        ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      }),
      // Paused: no stream polls; each keeps its cursor.
      pause,
      resume,
      restart: async () => {
        await pause();
        resume();
      },
      offsets: () => ({ partitions: [] }),
    };
  }
}
