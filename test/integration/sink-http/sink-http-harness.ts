// Shared setup of the sink-http suites: Avro events (key {id}, value {id, seq, note}) produced to
// a fresh topic, a local HTTP receiver on 127.0.0.1 whose behaviour each suite scripts (it verifies
// every signature with the documented snippet and accepts each Idempotency-Key once), the app
// started as its own process (`node main.js`), its /status, and the DLQ read back.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appProcessEnv } from '@sluice/config';
import { type Admin, type Kafka } from 'kafkajs';
import {
  createKafkaClient,
  createProducer,
  kafkaConfigSchema,
  type KafkaConfig,
  TopicProvisioner,
} from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordEncoder } from '@sluice/schema';
import { readDeadLetterHeaders, type DeadLetterInfo, headersFromMap, type HeaderMap } from '@sluice/stream';
import { deleteTopicsIfPresent, stackAddresses, uniqueName } from '@sluice/test-support';

export { freePort } from '@sluice/test-support';
import { verifySluiceSignature } from '../../../examples/sink-http/verify-signature';

export const kafkaConfig: KafkaConfig = kafkaConfigSchema.parse({
  brokers: stackAddresses().kafkaBrokers,
  clientId: 'sluice-it-sink-http',
  logLevel: 'nothing',
});

export const SECRET = 'it-webhook-secret-0123456789';

const registry = new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl });
const KEY_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Key',
  namespace: 'it.sink',
  fields: [{ name: 'id', type: 'long' }],
});
const VALUE_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Event',
  namespace: 'it.sink',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'seq', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

export interface Event {
  readonly id: number;
  readonly seq: number;
}

/** `count` events over `keys` ids: event i has id i % keys and seq i (so seq grows per key). */
export function events(count: number, keys: number): Event[] {
  return Array.from({ length: count }, (_, i) => ({ id: i % keys, seq: i }));
}

export class SinkHttpHarness {
  readonly kafka: Kafka = createKafkaClient(kafkaConfig);
  admin!: Admin;
  private readonly topics: string[] = [];
  private readonly children: ChildProcess[] = [];

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  async topic(prefix: string, partitions: number): Promise<string> {
    const name = uniqueName(prefix);
    await new TopicProvisioner(this.admin).provision([{ name, partitions, replicationFactor: 1 }]);
    this.topics.push(name);
    await untilLeaders(this.admin, name);
    return name;
  }

  /** Remembers the topics a group creates (DLQ, parked keys) for clean-up. */
  trackGroup(group: string): void {
    this.topics.push(`${group}.dlq`, `${group}.dlq.parked`);
  }

  /** Produces Avro events in order (one send per chunk keeps order per key). */
  async produce(
    topic: string,
    list: readonly Event[],
    raw: Array<{ key: Buffer | null; value: Buffer }> = [],
  ): Promise<void> {
    const encoder = new RecordEncoder(registry);
    const messages = [];
    for (const e of list)
      messages.push({
        key: await encoder.encode(`${topic}-key`, KEY_SCHEMA, { id: e.id }),
        value: await encoder.encode(`${topic}-value`, VALUE_SCHEMA, {
          id: e.id,
          seq: e.seq,
          note: `event ${e.seq}`,
        }),
      });
    messages.push(...raw);
    const producer = createProducer(this.kafka);
    await producer.connect();
    try {
      for (let i = 0; i < messages.length; i += 1000)
        await producer.send({ topic, messages: messages.slice(i, i + 1000) });
    } finally {
      await producer.disconnect();
    }
  }

  /** Starts `node main.js` of sink-http with `config`; stderr passes through. */
  startApp(config: Record<string, unknown>, env: Record<string, string> = {}): ChildProcess {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-sink-http-'));
    const file = join(dir, 'sink-http.yaml');
    writeFileSync(file, JSON.stringify(config));
    const child = spawn(process.execPath, [SINK_HTTP_MAIN], {
      env: appProcessEnv({ ...process.env, ...env, SLUICE_CONFIG: file }),
      stdio: ['ignore', process.env.SLUICE_IT_APP_STDOUT ? 'inherit' : 'ignore', 'inherit'],
    });
    this.children.push(child);
    return child;
  }

  /** Reads the dead letters of `group` until `count` arrived or `timeoutMs`. */
  async deadLetters(group: string, count: number, timeoutMs = 60_000): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    // The sink provisions its DLQ when it starts.
    await until(
      async () => (await this.admin.listTopics()).includes(`${group}.dlq`),
      timeoutMs,
      `${group}.dlq`,
    );
    await untilLeaders(this.admin, `${group}.dlq`);
    const consumer = this.kafka.consumer({ groupId: uniqueName('it.sink-http.dlq-reader') });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: `${group}.dlq`, fromBeginning: true });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        void consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              out.push({
                value: m.value,
                info: readDeadLetterHeaders(headersFromMap(m.headers as HeaderMap)),
              });
            }
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  }

  async committed(group: string, topic: string): Promise<number> {
    const [entry] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    return entry!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  async close(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await deleteTopicsIfPresent(this.admin, this.topics);
    await this.admin.disconnect();
  }
}

export interface DeadLetter {
  readonly value: Buffer | null;
  readonly info: DeadLetterInfo | undefined;
}

export const SINK_HTTP_MAIN = join(__dirname, '..', '..', '..', 'apps', 'sink-http', 'src', 'main.js');

/** The app's configuration for the local stack; `destination` and `runtime` merge over the defaults. */
export function appConfig(opts: {
  group: string;
  topic: string;
  url: string;
  port: number;
  destination?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    group: opts.group,
    topics: [opts.topic],
    destinations: [
      {
        name: 'receiver',
        url: opts.url,
        body: { id: '{{ id }}', seq: '{{ seq }}', note: '{{ note }}' },
        signing: { secret: SECRET },
        ...opts.destination,
      },
    ],
    kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-sink-http', logLevel: 'nothing' },
    registry: { url: stackAddresses().registryUrl },
    http: { host: '127.0.0.1', port: opts.port },
    logging: { level: 'warn' },
    runtime: {
      concurrency: { partitions: 4, keysPerPartition: 8 },
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      revokeTimeoutMs: 2_000,
      ...opts.runtime,
    },
  };
}

/** What the receiver does with one request it has read (body verified or not). */
export type Behaviour = (request: ReceivedRequest, res: ServerResponse, receiver: TestReceiver) => void;

export interface ReceivedRequest {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly key: string;
  readonly signatureValid: boolean;
}

/**
 * A webhook receiver on 127.0.0.1: verifies each request's signature with the documented snippet,
 * and, through `accept`, applies each Idempotency-Key at most once, counting repeats.
 */
export class TestReceiver {
  behaviour: Behaviour = (req, res, receiver) => {
    receiver.accept(req);
    res.writeHead(200).end('ok');
  };
  /** Applied events by idempotency key, and their order of application. */
  readonly accepted = new Map<string, { id: number; seq: number }>();
  readonly appliedOrder: Array<{ id: number; seq: number }> = [];
  requests = 0;
  duplicates = 0;
  badSignatures = 0;
  private server!: Server;
  url = '';

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(chunks);
        const signatureValid = verifySluiceSignature(
          req.headers['x-sluice-signature'] as string | undefined,
          body,
          SECRET,
        );
        if (!signatureValid) this.badSignatures++;
        this.behaviour(
          {
            url: req.url!,
            headers: req.headers,
            body,
            key: String(req.headers['idempotency-key']),
            signatureValid,
          },
          res,
          this,
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Applies the request's event once per idempotency key; false for a repeat. */
  accept(req: ReceivedRequest): boolean {
    if (this.accepted.has(req.key)) {
      this.duplicates++;
      return false;
    }
    const event = JSON.parse(req.body.toString('utf8')) as { id: number; seq: number };
    this.accepted.set(req.key, event);
    this.appliedOrder.push(event);
    return true;
  }

  /** Events applied out of order for their id (a later seq applied before an earlier one). */
  orderViolations(): number {
    const last = new Map<number, number>();
    let violations = 0;
    for (const e of this.appliedOrder) {
      if ((last.get(e.id) ?? -1) > e.seq) violations++;
      last.set(e.id, e.seq);
    }
    return violations;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface StatusBody {
  phase: string;
  paused?: boolean;
  membership?: string;
  partitions: Array<{ topic: string; partition: number; committedOffset?: number; lag?: number }>;
  records: { delivered: number; deadLettered: number; parked: number; inFlight: number; maxInFlight: number };
  destinations: Array<{
    name: string;
    circuit: { state: string; opened: number; closed: number; rejected: number };
    requests: number;
    recordsDelivered: number;
    lastError?: string;
  }>;
  memory: { rssBytes: number; heapUsedBytes: number };
  lastDeliveryError?: { destination: string; message: string; at: string };
}

export async function status(port: number): Promise<StatusBody | undefined> {
  return fetch(`http://127.0.0.1:${port}/status`).then(
    (r) => (r.ok ? (r.json() as Promise<StatusBody>) : undefined),
    () => undefined,
  );
}

/** Polls until `predicate` holds; rejects after `timeoutMs` with `what`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function untilLeaders(admin: Admin, topic: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => ({ topics: [] }));
    const partitions = topics[0]?.partitions ?? [];
    // Leaders known, and each answers for its partition (a new topic's leader may not host it yet).
    if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      if (offsets.length === partitions.length) return;
    }
    if (Date.now() > deadline) throw new Error(`${topic} has no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
