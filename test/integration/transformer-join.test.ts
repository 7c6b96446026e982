// Stream–table join against the real stack (issue #27): orders ⋈ customers while customers change.
// Customers are Debezium change events (2 partitions, a delete and a re-create among them), orders
// plain rows (4 partitions), all written in one order with growing timestamps while the transformer
// runs. Each order must carry the customer version current at its position; a replay with a fresh
// group must give the same outputs; a co-partitioned join of these topics is refused at start,
// while one of two topics keyed alike (4 partitions each) joins each order from its own partition.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, createProducer, TopicProvisioner } from '@sluice/kafka';
import { RecordEncoder } from '@sluice/schema';
import { deleteTopicsIfPresent, uniqueName, untilConsumed } from '@sluice/test-support';
import {
  appConfig,
  kafkaConfig,
  readAllDecoded,
  registry,
  startTransformer,
  TRANSFORMER_MAIN,
  untilLeaders,
} from './transformer/transformer-harness';

const CUSTOMERS = 12;
const ROUNDS = 5;
const ORDERS_PER_ROUND = 60;

const customerRow = {
  type: 'record',
  name: 'Value',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'version', type: 'int' },
  ],
};
const customerEnvelope = JSON.stringify({
  type: 'record',
  name: 'Envelope',
  namespace: 'it.demo.customers',
  fields: [
    { name: 'before', type: ['null', customerRow], default: null },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
  ],
});
const customerKey = JSON.stringify({
  type: 'record',
  name: 'Key',
  namespace: 'it.demo.customers',
  fields: [{ name: 'id', type: 'long' }],
});
const orderValue = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'it.demo.orders',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'customer_id', type: 'long' },
  ],
});
const orderKey = JSON.stringify({
  type: 'record',
  name: 'Key',
  namespace: 'it.demo.orders',
  fields: [{ name: 'id', type: 'long' }],
});

describe('transformer: join orders with customers while customers change', () => {
  const kafka = createKafkaClient(kafkaConfig);
  const encoder = new RecordEncoder(registry);
  let admin: Admin;
  const children: ChildProcess[] = [];
  const orders = uniqueName('it.join.orders');
  const customers = uniqueName('it.join.customers');
  const outputs = [uniqueName('it.join.out'), uniqueName('it.join.replay')];
  const groups = [uniqueName('it.join.group'), uniqueName('it.join.replay-group')];
  const producer = createProducer(kafka);
  /** Every message gets the next timestamp: their order is their position. */
  let clock = Date.now() - 60_000;
  /** The customer versions as written so far (null: deleted). */
  const current = new Map<number, number | null>();
  /** order id → the customer version it must carry (null: none at its position). */
  const expected = new Map<number, number | null>();

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([
      { name: orders, partitions: 4, replicationFactor: 1 },
      { name: customers, partitions: 2, replicationFactor: 1 },
    ]);
    await untilLeaders(admin, orders);
    await untilLeaders(admin, customers);
    await producer.connect();
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await producer.disconnect();
    await deleteTopicsIfPresent(admin, [orders, customers, ...outputs, ...groups.map((g) => `${g}.dlq`)]);
    await admin.disconnect();
  });

  async function writeCustomer(id: number, version: number | null): Promise<void> {
    const row = version === null ? null : { id, name: `customer ${id} v${version}`, version };
    const value = await encoder.encode(`${customers}-value`, customerEnvelope, {
      before: null,
      after: row,
      op: version === null ? 'd' : version === 1 ? 'c' : 'u',
    });
    const key = await encoder.encode(`${customers}-key`, customerKey, { id });
    await producer.send({ topic: customers, messages: [{ key, value, timestamp: String((clock += 5)) }] });
    current.set(id, version);
  }

  async function writeOrders(first: number, count: number): Promise<void> {
    const messages = [];
    for (let i = first; i < first + count; i++) {
      const customerId = (i * 7) % (CUSTOMERS + 1); // customer CUSTOMERS never exists
      messages.push({
        key: await encoder.encode(`${orders}-key`, orderKey, { id: i }),
        value: await encoder.encode(`${orders}-value`, orderValue, { order_id: i, customer_id: customerId }),
        timestamp: String((clock += 5)),
      });
      expected.set(i, current.get(customerId) ?? null);
    }
    await producer.send({ topic: orders, messages });
  }

  function pipelineFile(name: string, output: string, group: string, extra = 'global: true'): string {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-join-'));
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(
      file,
      [
        `name: ${name}`,
        `from: { topics: [${orders}] }`,
        `to: ${output}`,
        `groupId: ${group}`,
        'steps:',
        `  - join: { table: ${customers}, on: customer_id, as: customer, type: left, ${extra} }`,
        '',
      ].join('\n'),
    );
    return file;
  }

  const start = (file: string) => {
    const child = startTransformer(appConfig(file, { logging: { level: 'error' } }));
    children.push(child);
    return child;
  };

  /** order id → the customer version it carries, read from an output topic (one output per order). */
  async function joined(output: string): Promise<Map<number, number | null>> {
    const seen = new Map<number, number | null>();
    for (const o of await readAllDecoded(kafka, [output])) {
      const v = o.value as {
        order_id: number;
        customer: { id: number; version: number; name: string } | null;
      };
      assert.ok(!seen.has(Number(v.order_id)), `order ${v.order_id} once`);
      if (v.customer) assert.equal(v.customer.name, `customer ${v.customer.id} v${v.customer.version}`);
      seen.set(Number(v.order_id), v.customer ? v.customer.version : null);
    }
    return seen;
  }

  it(
    'each order carries the customer version current at its position; a replay gives the same',
    { timeout: 180_000 },
    async () => {
      // The table before the transformer starts: read to its end first (restore).
      for (let id = 0; id < CUSTOMERS; id++) await writeCustomer(id, 1);
      const live = start(pipelineFile(uniqueName('it-join'), outputs[0]!, groups[0]!));
      let next = 0;
      for (let r = 0; r < ROUNDS; r++) {
        // Customers change between and inside batches of orders, while the transformer runs.
        for (let id = r % 3; id < CUSTOMERS; id += 3) await writeCustomer(id, r + 2);
        if (r === 1) await writeCustomer(5, null); // deleted ...
        await writeOrders(next, ORDERS_PER_ROUND / 2);
        next += ORDERS_PER_ROUND / 2;
        if (r === 3) await writeCustomer(5, 10); // ... and created again
        await writeCustomer(r, 20 + r);
        await writeOrders(next, ORDERS_PER_ROUND / 2);
        next += ORDERS_PER_ROUND / 2;
        // Each round is joined before the next is written: later changes reach a running table.
        await untilConsumed(admin, groups[0]!, orders, 90_000);
      }
      assert.equal(live.exitCode, null, 'the transformer runs');
      const first = await joined(outputs[0]!);
      assert.equal(first.size, expected.size, 'every order joined once');
      const versions = new Set([...expected.values()]);
      assert.ok(
        versions.has(null) && versions.has(1) && versions.has(10) && versions.size > 8,
        'varied versions',
      );
      for (const [order, version] of expected)
        assert.equal(first.get(order), version, `order ${order}: customer version at its position`);

      // Replay: a fresh group from the beginning, the table now read whole at start.
      const exited = new Promise((resolve) => live.once('exit', resolve));
      live.kill('SIGTERM');
      await exited;
      const replay = start(pipelineFile(uniqueName('it-join-replay'), outputs[1]!, groups[1]!));
      await untilConsumed(admin, groups[1]!, orders, 90_000);
      assert.deepEqual(await joined(outputs[1]!), first, 'the replay joins the same versions');
      replay.kill('SIGTERM');
    },
  );

  it(
    'a co-partitioned join of topics with different partition counts is refused at start, naming global: true',
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-join-app-'));
      const config = join(dir, 'transformer.yaml');
      const file = pipelineFile(
        uniqueName('it-join-copart'),
        uniqueName('it.join.x'),
        uniqueName('it.join.g'),
        'global: false',
      );
      writeFileSync(config, JSON.stringify(appConfig(file, { logging: { level: 'error' } })));
      const child = spawn(process.execPath, [TRANSFORMER_MAIN], {
        env: { ...process.env, SLUICE_CONFIG: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const deadline = Date.now() + 50_000;
      while (!/not co-partitioned/.test(output) && child.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(output, /not co-partitioned: the input topic \S+ has 4 partitions, the table topic \S+ 2/);
      assert.match(output, /global: true/);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  );
});

describe('transformer: a co-partitioned join', () => {
  const kafka = createKafkaClient(kafkaConfig);
  const encoder = new RecordEncoder(registry);
  const producer = createProducer(kafka);
  let admin: Admin;
  let child: ChildProcess | undefined;
  const orders = uniqueName('it.cojoin.orders');
  const customers = uniqueName('it.cojoin.customers');
  const output = uniqueName('it.cojoin.out');
  const group = uniqueName('it.cojoin.group');
  let clock = Date.now() - 60_000;

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([
      { name: orders, partitions: 4, replicationFactor: 1 },
      { name: customers, partitions: 4, replicationFactor: 1 },
    ]);
    await untilLeaders(admin, orders);
    await untilLeaders(admin, customers);
    await producer.connect();
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await producer.disconnect();
    await deleteTopicsIfPresent(admin, [orders, customers, output, `${group}.dlq`]);
    await admin.disconnect();
  });

  // Both topics keyed by the customer id with the same key schema: equal keys, equal bytes, one partition.
  const key = (id: number, topic: string) => encoder.encode(`${topic}-key`, customerKey, { id });

  async function writeCustomers(version: number): Promise<void> {
    const messages = [];
    for (let id = 0; id < CUSTOMERS; id++)
      messages.push({
        key: await key(id, customers),
        value: await encoder.encode(`${customers}-value`, customerEnvelope, {
          before: null,
          after: { id, name: `customer ${id} v${version}`, version },
          op: version === 1 ? 'c' : 'u',
        }),
        timestamp: String((clock += 5)),
      });
    await producer.send({ topic: customers, messages });
  }

  async function writeOrders(first: number): Promise<void> {
    const messages = [];
    for (let i = first; i < first + CUSTOMERS; i++)
      messages.push({
        key: await key(i % CUSTOMERS, orders),
        value: await encoder.encode(`${orders}-value`, orderValue, {
          order_id: i,
          customer_id: i % CUSTOMERS,
        }),
        timestamp: String((clock += 5)),
      });
    await producer.send({ topic: orders, messages });
  }

  it(
    'each order joins its customer from the table partition of its own key, at its position',
    { timeout: 120_000 },
    async () => {
      await writeCustomers(1);
      await writeOrders(0);
      const dir = mkdtempSync(join(tmpdir(), 'sluice-cojoin-'));
      const file = join(dir, 'pipeline.yaml');
      writeFileSync(
        file,
        [
          `name: ${uniqueName('it-cojoin')}`,
          `from: { topics: [${orders}] }`,
          `to: ${output}`,
          `groupId: ${group}`,
          'steps:',
          `  - join: { table: ${customers}, as: customer, type: inner }`,
          '',
        ].join('\n'),
      );
      child = startTransformer(appConfig(file, { logging: { level: 'error' } }));
      await untilConsumed(admin, group, orders, 90_000);
      await writeCustomers(2);
      await writeOrders(CUSTOMERS);
      await untilConsumed(admin, group, orders, 90_000);
      const joinedOrders = (await readAllDecoded(kafka, [output])).map((o) => {
        const v = o.value as {
          order_id: number;
          customer_id: number;
          customer: { id: number; version: number };
        };
        assert.equal(v.customer.id, v.customer_id, 'the customer of its own key');
        return `${v.order_id}:v${v.customer.version}`;
      });
      const expected = [];
      for (let i = 0; i < 2 * CUSTOMERS; i++) expected.push(`${i}:v${i < CUSTOMERS ? 1 : 2}`);
      assert.deepEqual(
        joinedOrders.sort(),
        expected.sort(),
        'every order once, with the version at its position',
      );
    },
  );
});
