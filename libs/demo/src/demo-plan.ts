import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { CheckResult } from './pipeline-checks';
import type { DemoTable } from './sample-database';

/** One app of the demo: its dist folder, its configuration (relative to the project) and address. */
export interface DemoApp {
  /** The app folder under dist/apps, e.g. `transformer`. */
  readonly name: string;
  /** What the demo calls it (logs, live view) when it runs an app twice. Default `name`. */
  readonly label?: string;
  /** A webhook source: metered by the requests it accepted, not as a consumer. */
  readonly webhookSource?: boolean;
  readonly config: string;
  readonly url: string;
  /** Topics that must exist before it starts (it refuses to subscribe to missing ones). */
  readonly needsTopics?: readonly string[];
}

/** What the demo runs and how it checks it: the apps, their topics and groups, the checks' targets. */
export interface DemoPlan {
  /** Source first, then the consumers in pipeline order. */
  readonly apps: readonly DemoApp[];
  readonly webhookPort: number;
  readonly webhookSecret: string;
  /** Passed to every app (the configs interpolate them). */
  readonly env: Readonly<Record<string, string>>;
  /** The topic sink-http delivers, whose every record the receiver must accept once. */
  readonly webhookTopic: string;
  /** The replica of a demo table in the sink database. */
  readonly replicaTable: (table: DemoTable) => string;
  readonly drainTimeoutMs: number;
  readonly observability: Readonly<Record<string, string>>;
  /** The consumer group whose DLQ receives the poison order (`sluice dlq show --group`). */
  readonly deadLetterGroup: string;
  /** With `--webhooks`: the Stripe-style sender's target and what the end-of-run check reads. */
  readonly webhookSource?: WebhookSourcePlan;
  /** Removes what an earlier demo left: slot, publication, topics, replica. */
  reset(kafka: Kafka, postgres: PostgresAddress): Promise<void>;
  /** The poison order reached the transformer's dead-letter topic. */
  checkPoison(kafka: Kafka, poisonOrderId: string | undefined): Promise<CheckResult>;
}

/** `sluice demo --webhooks`: sender → source-webhook → transformer (invoices) → sink-postgres. */
export interface WebhookSourcePlan {
  /** Where the sender POSTs (the source-webhook endpoint). */
  readonly url: string;
  /** The endpoint's Stripe signing secret (SLUICE_DEMO_STRIPE_SECRET in its configuration). */
  readonly secret: string;
  /** The endpoint's topic (source-webhook writes each delivery there once). */
  readonly topic: string;
  /** The replica table of the pipeline's rows, with the event id as its key column. */
  readonly table: string;
  /** The event type the pipeline keeps (the others are filtered out). */
  readonly keptType: string;
}

export interface PostgresAddress {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

const WEBHOOK_PORT = 8190;
const WEBHOOK_SECRET = 'demo-only-secret-change-me';
const SLOT = 'sluice_demo';
const TRANSFORMER_GROUP = 'sluice-pipeline-demo-orders';
/** The groups and topic prefixes the demo owns (see examples/demo/*.yaml; the last: --webhooks). */
const DEMO_GROUPS = [
  TRANSFORMER_GROUP,
  'demo-sink-postgres',
  'demo-sink-http',
  'sluice-pipeline-demo-invoices',
];
const STRIPE_SECRET = 'whsec_demo_only_change_me';

/** The demo of examples/demo: source → transformer → sink-postgres and sink-http. */
export const DEMO_PLAN: DemoPlan = {
  deadLetterGroup: TRANSFORMER_GROUP,
  apps: [
    { name: 'source-postgres', config: 'examples/demo/source-postgres.yaml', url: 'http://127.0.0.1:8101' },
    { name: 'transformer', config: 'examples/demo/transformer.yaml', url: 'http://127.0.0.1:8102' },
    { name: 'sink-postgres', config: 'examples/demo/sink-postgres.yaml', url: 'http://127.0.0.1:8103' },
    {
      name: 'sink-http',
      config: 'examples/demo/sink-http.yaml',
      url: 'http://127.0.0.1:8104',
      // The transformer creates it with its first order over 1,000 (the snapshot has some).
      needsTopics: ['demo.orders.large'],
    },
  ],
  webhookPort: WEBHOOK_PORT,
  webhookSecret: WEBHOOK_SECRET,
  env: { SLUICE_DEMO_WEBHOOK_PORT: String(WEBHOOK_PORT), SLUICE_WEBHOOK_SECRET: WEBHOOK_SECRET },
  webhookTopic: 'demo.orders.large',
  replicaTable: (table) => `demo_replica.${table}`,
  drainTimeoutMs: 120_000,
  observability: {
    jaeger: 'http://127.0.0.1:16686',
    prometheus: 'http://127.0.0.1:9090',
    'schema registry': 'http://127.0.0.1:8081/subjects',
  },

  async reset(kafka, postgres) {
    const source = new Client({ ...postgres, database: 'source' });
    await source.connect();
    try {
      const [slot] = (
        await source.query<{ active: boolean }>(
          'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
          [SLOT],
        )
      ).rows;
      if (slot?.active)
        throw new Error(`slot ${SLOT} is in use: another demo (or its source) is running; stop it first`);
      if (slot) await source.query('SELECT pg_drop_replication_slot($1)', [SLOT]);
      await source.query(`DROP PUBLICATION IF EXISTS ${SLOT}`);
    } finally {
      await source.end();
    }
    const sink = new Client({ ...postgres, database: 'sink' });
    await sink.connect();
    try {
      await sink.query('DROP SCHEMA IF EXISTS demo_replica CASCADE');
    } finally {
      await sink.end();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ours = (await admin.listTopics()).filter(
        (t) => t.startsWith('demo.') || DEMO_GROUPS.some((g) => t.startsWith(`${g}.`)),
      );
      if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
      const groups = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
      const stale = DEMO_GROUPS.filter((g) => groups.has(g));
      if (stale.length > 0) await admin.deleteGroups(stale).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  },

  async checkPoison(kafka, poisonOrderId) {
    const name = 'poison record dead-lettered';
    if (poisonOrderId === undefined)
      return { name, ok: false, detail: 'the workload did not get to write it (run longer)' };
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(`${TRANSFORMER_GROUP}.dlq`).catch(() => []);
      const count = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      return {
        name,
        ok: count >= 1,
        detail:
          count >= 1
            ? `order ${poisonOrderId} (total -1.00) in ${TRANSFORMER_GROUP}.dlq (${count} record${count === 1 ? '' : 's'}), its key parked`
            : `nothing in ${TRANSFORMER_GROUP}.dlq`,
      };
    } finally {
      await admin.disconnect();
    }
  },
};

/**
 * `sluice demo --webhooks` (configs in examples/demo/webhooks): the demo plus source-webhook (one
 * Stripe endpoint) and a second transformer (pipelines/invoices.yaml) whose paid invoices the same
 * sink-postgres, with the default tables and this topic, writes to demo_replica.invoices.
 */
export const DEMO_WEBHOOKS_PLAN: DemoPlan = {
  ...DEMO_PLAN,
  apps: [
    DEMO_PLAN.apps[0],
    DEMO_PLAN.apps[1],
    {
      name: 'source-webhook',
      config: 'examples/demo/webhooks/source-webhook.yaml',
      url: 'http://127.0.0.1:8105',
      webhookSource: true,
    },
    {
      name: 'transformer',
      label: 'invoice-pipeline',
      config: 'examples/demo/webhooks/transformer.yaml',
      url: 'http://127.0.0.1:8107',
      // source-webhook creates it at start.
      needsTopics: ['demo.webhooks.stripe'],
    },
    {
      ...DEMO_PLAN.apps[2],
      config: 'examples/demo/webhooks/sink-postgres.yaml',
      // The invoices transformer creates its output topic at start.
      needsTopics: ['demo.invoices.paid'],
    },
    DEMO_PLAN.apps[3],
  ],
  env: { ...DEMO_PLAN.env, SLUICE_DEMO_STRIPE_SECRET: STRIPE_SECRET },
  webhookSource: {
    url: 'http://127.0.0.1:8105/webhooks/stripe',
    secret: STRIPE_SECRET,
    topic: 'demo.webhooks.stripe',
    table: 'demo_replica.invoices',
    keptType: 'invoice.paid',
  },
};
