// The demo's four apps (source-postgres → transformer → sink-postgres and sink-http, each its own
// process through @sluice/demo's AppProcess, started in the order `sluice demo` starts them) for the
// console's browser suite, on the shared stack beside anything else running there: the demo's own
// configurations (examples/demo/*.yaml, pipelines/orders.yaml) with every name the demo owns made
// unique — topic prefix, database schema, slot and publication, consumer groups, replica schema,
// ports — and the demo's sample database and signed-webhook receiver. What differs from
// `sluice demo`, and why: the tables' topics have one partition (each page shows one range), and
// instead of the demo's random workload the suite writes what each test needs (a steady feed of
// orders, some over 1,000 so sink-http has a rate; one poison order; a column added).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kafka } from 'kafkajs';
import { Client } from 'pg';
import { parse, stringify } from 'yaml';
import { AppProcess, SampleDatabase, WebhookReceiver } from '@sluice/demo';
import { freePort, PROJECT_ROOT, stackAddresses, until } from '@sluice/test-support';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEMO = join(PROJECT_ROOT, 'examples', 'demo');
const WEBHOOK_SECRET = 'demo-only-secret-change-me';

/** The demo's apps under unique names, with what the tests write and look at. */
export class DemoApps {
  /** e.g. `demo_lq3x9a`: the source schema, slot, publication; topics and groups start with `demo-lq3x9a`. */
  readonly id: string;
  readonly prefix: string;
  readonly topics: { readonly orders: string; readonly clean: string; readonly large: string };
  readonly tableTopics: readonly string[];
  /** The transformer's pipeline (its connector name) and the consumer groups. */
  readonly pipeline: string;
  readonly groups: { readonly transformer: string; readonly sinkPostgres: string; readonly sinkHttp: string };
  readonly apps: {
    source: AppProcess;
    transformer: AppProcess;
    sinkPostgres: AppProcess;
    sinkHttp: AppProcess;
  };
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-console-demo-'));
  private readonly receiver = new WebhookReceiver(WEBHOOK_SECRET);
  private database: SampleDatabase | undefined;
  private feeding = false;
  private feeder: Promise<void> = Promise.resolve();
  private readonly stack = stackAddresses();

  private constructor(
    private readonly ports: { source: number; transformer: number; sinkPostgres: number; sinkHttp: number },
  ) {
    // Short, so the screenshots read like the demo's; random, so runs beside each other never meet.
    const tag = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
    this.id = `demo_${tag}`;
    this.prefix = `demo-${tag}`;
    this.tableTopics = ['customers', 'orders', 'order_items'].map((t) => `${this.prefix}.${this.id}.${t}`);
    this.topics = {
      orders: `${this.prefix}.${this.id}.orders`,
      clean: `${this.prefix}.orders.clean`,
      large: `${this.prefix}.orders.large`,
    };
    this.pipeline = `${this.prefix}-orders`;
    this.groups = {
      transformer: `sluice-pipeline-${this.pipeline}`,
      sinkPostgres: `${this.prefix}-sink-postgres`,
      sinkHttp: `${this.prefix}-sink-http`,
    };
    const app = (name: string, port: number) =>
      new AppProcess({
        app: name,
        projectRoot: PROJECT_ROOT,
        configFile: join(this.dir, `${name}.yaml`),
        url: `http://127.0.0.1:${port}`,
        logFile: join(this.dir, 'logs', `${name}.log`),
      });
    this.apps = {
      source: app('source-postgres', ports.source),
      transformer: app('transformer', ports.transformer),
      sinkPostgres: app('sink-postgres', ports.sinkPostgres),
      sinkHttp: app('sink-http', ports.sinkHttp),
    };
  }

  static async create(): Promise<DemoApps> {
    const [source, transformer, sinkPostgres, sinkHttp] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    return new DemoApps({ source, transformer, sinkPostgres, sinkHttp });
  }

  /** The apps in the order the console lists them, with their Jaeger service names. */
  get consoleApps(): Array<{ url: string; service: string }> {
    return Object.values(this.apps).map((a) => ({ url: a.url, service: a.options.app }));
  }

  /**
   * As `sluice demo` does: the sample database, then the source (its snapshot creates the table
   * topics), then the consumers, sink-http once the transformer created the large-orders topic.
   */
  async start(kafka: Kafka, customers = 20): Promise<void> {
    const webhookUrl = await this.receiver.listen(0);
    this.writeConfigs(webhookUrl, true);
    this.database = await SampleDatabase.connect({ ...this.stack.postgres, database: 'source' }, this.id);
    await this.database.create(customers);
    this.apps.source.start();
    await this.apps.source.ready(90_000);
    await until(
      async () =>
        (await this.apps.source.get<{ phase: string }>('/status'))?.phase === 'streaming' ||
        this.apps.source.hasExited,
      90_000,
      'source-postgres streaming after its snapshot',
    );
    if (this.apps.source.hasExited)
      throw new Error(`source-postgres exited: ${this.logTail('source-postgres')}`);
    this.apps.transformer.start();
    this.apps.sinkPostgres.start();
    await topicsExist(kafka, [this.topics.large], 90_000, () => this.exited());
    this.apps.sinkHttp.start();
    for (const app of [this.apps.transformer, this.apps.sinkPostgres, this.apps.sinkHttp])
      await app.ready(90_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${this.logTail(app.options.app)}`);
      });
  }

  /** Orders all along, a few a second (one over 1,000 each time, for sink-http): every stage has a rate. */
  startFeed(): void {
    this.feeding = true;
    this.feeder = (async () => {
      while (this.feeding) {
        await this.insertOrder(42).catch(() => undefined);
        await this.insertOrder(1234.5).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
  }

  async stopFeed(): Promise<void> {
    this.feeding = false;
    await this.feeder;
  }

  /** Inserts one order; its id. */
  async insertOrder(total: number, note?: string): Promise<number> {
    const columns = note === undefined ? '' : ', note';
    const values = note === undefined ? '' : ', $3';
    const { rows } = await this.database!.connection.query<{ id: string }>(
      `INSERT INTO ${this.id}.orders (customer_id, total${columns}) VALUES ($1, $2${values}) RETURNING id`,
      [1 + Math.floor(Math.random() * 5), total, ...(note === undefined ? [] : [note])],
    );
    return Number(rows[0]!.id);
  }

  /** A column added to the orders table: the source registers the next version of its value schema. */
  async addOrderNote(): Promise<void> {
    await this.database!.connection.query(`ALTER TABLE ${this.id}.orders ADD COLUMN note text`);
  }

  /** The fix of a poison order: the transformer again without the validation rule (same group, port). */
  async restartTransformerWithoutValidation(): Promise<void> {
    await this.apps.transformer.stop(20_000);
    this.writeConfigs(undefined, false);
    this.apps.transformer.start();
    await this.apps.transformer.ready(90_000);
  }

  /** An app that exited (crashed), with the end of its log; undefined while they all run. */
  private exited(): string | undefined {
    const gone = Object.values(this.apps).find((a) => a.hasExited);
    return gone && `${gone.options.app} exited:\n${this.logTail(gone.options.app)}`;
  }

  logTail(app: string): string {
    try {
      return readFileSync(join(this.dir, 'logs', `${app}.log`), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops every app and removes what they made: topics, groups, subjects, slot, publication, schemas. */
  async stop(kafka: Kafka, registryUrl: string): Promise<void> {
    await this.stopFeed();
    await Promise.all(Object.values(this.apps).map((a) => a.stop(15_000)));
    await this.receiver.close().catch(() => undefined);
    await this.database?.close().catch(() => undefined);
    const source = new Client({ ...this.stack.postgres, database: 'source' });
    await source.connect();
    try {
      await until(
        async () =>
          (
            await source.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [
              this.id,
            ])
          ).rowCount === 0,
        15_000,
        'the slot released',
      ).catch(() => undefined);
      await source
        .query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [
          this.id,
        ])
        .catch(() => undefined);
      await source.query(`DROP PUBLICATION IF EXISTS ${this.id}`).catch(() => undefined);
      await source.query(`DROP SCHEMA IF EXISTS ${this.id} CASCADE`).catch(() => undefined);
    } finally {
      await source.end();
    }
    const sink = new Client({ ...this.stack.postgres, database: 'sink' });
    await sink.connect();
    await sink.query(`DROP SCHEMA IF EXISTS ${this.id}_replica CASCADE`).catch(() => undefined);
    await sink.end();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groups = Object.values(this.groups);
      const ours = (await admin.listTopics()).filter(
        (t) => t.startsWith(`${this.prefix}.`) || groups.some((g) => t.startsWith(`${g}.`)),
      );
      if (ours.length > 0) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
      // The groups, and the throw-away ones read with (e.g. `<group>.dlq.parked.reader-<uuid>`).
      const made = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => g.startsWith(`${this.prefix}-`) || groups.some((ours) => g.startsWith(ours)));
      await admin.deleteGroups([...new Set([...groups, ...made])]).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    rmSync(this.dir, { recursive: true, force: true });
    // Their subjects too (soft, then hard delete, as the registry requires).
    const subjects = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
    for (const subject of subjects.filter((x) => x.startsWith(`${this.prefix}.`))) {
      const url = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
      await fetch(url, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
    }
  }

  /** The demo's configurations with this run's names; `validate: false` drops the rule (the fix). */
  private writeConfigs(webhookUrl: string | undefined, validate: boolean): void {
    mkdirSync(join(this.dir, 'pipelines'), { recursive: true });
    const read = (file: string): Doc => parse(readFileSync(join(DEMO, file), 'utf8')) as Doc;
    const write = (file: string, doc: Doc) => writeFileSync(join(this.dir, file), stringify(doc));
    const common = (doc: Doc, port: number, clientId: string): Doc => ({
      ...doc,
      kafka: { ...doc.kafka, brokers: this.stack.kafkaBrokers, clientId, logLevel: 'nothing' },
      registry: { ...doc.registry, url: this.stack.registryUrl },
      http: { ...doc.http, port },
      logging: { level: 'warn' },
    });
    const pg = this.stack.postgres;

    const pipeline = read('pipelines/orders.yaml');
    pipeline.name = this.pipeline;
    pipeline.from = { topics: [this.topics.orders] };
    pipeline.to = this.topics.clean;
    pipeline.steps = (pipeline.steps as Doc[])
      .filter((step) => validate || !('validate' in step))
      .map((step) =>
        'enrich' in step
          ? {
              enrich: {
                ...step.enrich,
                connection: `postgres://${pg.user}:${pg.password}@${pg.host}:${pg.port}/source`,
                query: (step.enrich.query as string).replace('demo.customers', `${this.id}.customers`),
              },
            }
          : 'route' in step
            ? { route: { cases: [{ ...step.route.cases[0], topic: this.topics.large }] } }
            : step,
      );
    write('pipelines/orders.yaml', pipeline);
    write('transformer.yaml', common(read('transformer.yaml'), this.ports.transformer, `${this.prefix}-tr`));
    if (webhookUrl === undefined) return;

    const source = common(read('source-postgres.yaml'), this.ports.source, `${this.prefix}-source`);
    source.topicPrefix = this.prefix;
    source.postgres = {
      ...source.postgres,
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
    };
    source.slot = { ...source.slot, name: this.id };
    source.publication = { ...source.publication, name: this.id };
    source.tables = { include: [`${this.id}.*`] };
    source.topics = { ...source.topics, partitions: 1 };
    write('source-postgres.yaml', source);

    const sinkPostgres = common(
      read('sink-postgres.yaml'),
      this.ports.sinkPostgres,
      `${this.prefix}-sink-pg`,
    );
    sinkPostgres.group = this.groups.sinkPostgres;
    sinkPostgres.topics = this.tableTopics;
    sinkPostgres.target = {
      ...sinkPostgres.target,
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      schema: `${this.id}_replica`,
      bookkeepingSchema: `${this.id}_replica`,
    };
    write('sink-postgres.yaml', sinkPostgres);

    const sinkHttp = common(read('sink-http.yaml'), this.ports.sinkHttp, `${this.prefix}-sink-http`);
    sinkHttp.group = this.groups.sinkHttp;
    sinkHttp.topics = [this.topics.large];
    sinkHttp.destinations = (sinkHttp.destinations as Doc[]).map((d) => ({
      ...d,
      url: webhookUrl,
      signing: { secret: WEBHOOK_SECRET },
    }));
    write('sink-http.yaml', sinkHttp);
  }
}

async function topicsExist(
  kafka: Kafka,
  topics: readonly string[],
  timeoutMs: number,
  crashed: () => string | undefined,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await until(
      async () => {
        const crash = crashed();
        if (crash) throw new Error(`waiting for ${topics.join(', ')}: ${crash}`);
        const existing = new Set(await admin.listTopics());
        return topics.every((t) => existing.has(t));
      },
      timeoutMs,
      `topic(s) ${topics.join(', ')}`,
    );
  } finally {
    await admin.disconnect();
  }
}
