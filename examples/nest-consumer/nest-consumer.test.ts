// The example Nest service against the real stack: Avro orders produced through the registry reach
// its @EventPattern handler decoded, its totals come out exactly once, the HTTP side answers, and a
// record that does not decode goes to the group's DLQ with stage VALUE_CONVERTER.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfluentSchemaRegistryClient, RecordEncoder } from '@sluice/schema';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { kafkaConfig, StreamHarness } from '../../test/integration/stream/stream-harness';
import { nestConsumerConfigSchema } from './nest-consumer-config';
import { startNestConsumer } from './nest-consumer';
import { ORDER_SCHEMA } from './order-totals';

describe('example nest-consumer (Sluice transport)', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it(
    'handles decoded orders, writes totals once and dead-letters an undecodable record',
    { timeout: 90_000 },
    async () => {
      const ordersTopic = await h.topic('it.example.orders', 2);
      const totalsTopic = await h.topic('it.example.totals', 2);
      const group = uniqueName('it.example.nest-consumer');
      h.track(`${group}.dlq`);
      const encoder = new RecordEncoder(
        new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }),
      );
      const orders = Array.from({ length: 20 }, (_, i) => ({
        id: `o${i}`,
        lines: [{ sku: 'tea', quantity: i + 1, priceCents: 250 }],
      }));
      const producer = h.kafka.producer();
      await producer.connect();
      await producer.send({
        topic: ordersTopic,
        messages: [
          ...(await Promise.all(
            orders.map(async (o) => ({
              key: o.id,
              value: await encoder.encode(`${ordersTopic}-value`, ORDER_SCHEMA, o),
            })),
          )),
          { key: 'garbage', value: Buffer.from('not avro') },
        ],
      });
      await producer.disconnect();

      const config = nestConsumerConfigSchema.parse({
        kafka: kafkaConfig,
        registryUrl: stackAddresses().registryUrl,
        ordersTopic,
        totalsTopic,
        runtime: { group, concurrency: { keysPerPartition: 4 } },
      });
      const { app, transport } = await startNestConsumer(config);
      try {
        const totals = await h.read(totalsTopic, orders.length);
        const byId = new Map(totals.map((r) => [JSON.parse(r.value!).id as string, JSON.parse(r.value!)]));
        assert.equal(totals.length, orders.length, 'each order once');
        for (const [i, o] of orders.entries()) assert.equal(byId.get(o.id).totalCents, (i + 1) * 250);
        const [dead] = await h.read(transport.streamRuntime!.deadLetterTopic, 1);
        assert.equal(dead.key, 'garbage');
        assert.equal(dead.headers['__connect.errors.stage'], 'VALUE_CONVERTER');
        assert.equal(dead.headers['__connect.errors.exception.class.name'], 'CorruptRecordError');
        const response = await app.inject({ method: 'GET', url: '/orders/count' });
        assert.deepEqual(response.json(), { orders: orders.length });
      } finally {
        await app.close();
      }
    },
  );
});
