import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWebhook, checkWebhookSource, type WebhookSourceEvidence } from './pipeline-checks';

const evidence = (over: Partial<WebhookSourceEvidence> = {}): WebhookSourceEvidence => ({
  acknowledged: new Map([
    ['evt_1', 'invoice.paid'],
    ['evt_2', 'invoice.payment_failed'],
    ['evt_3', 'invoice.paid'],
  ]),
  pending: 0,
  redeliveries: 1,
  duplicatesAnswered: 1,
  topic: 'demo.webhooks.stripe',
  recordsInTopic: 3,
  table: 'demo_replica.invoices',
  tableIds: ['evt_1', 'evt_3'],
  keptType: 'invoice.paid',
  ...over,
});

describe('checkWebhook', () => {
  const topic = new Set(['t:0:1', 't:0:2', 't:1:4']);

  it('holds when the receiver applied each record of the topic once, each body once', () => {
    const bodies = new Map([
      ['t:0:1', 'a'],
      ['t:0:2', 'b'],
      ['t:1:4', 'c'],
    ]);
    const result = checkWebhook(topic, new Set(topic), bodies);
    assert.equal(result.ok, true, result.detail);
    assert.equal(result.detail, '3 events, each accepted once');
  });

  it('fails on a record missing or unknown', () => {
    assert.equal(checkWebhook(topic, new Set(['t:0:1', 't:0:2'])).ok, false);
    assert.equal(checkWebhook(topic, new Set([...topic, 't:2:9'])).ok, false);
  });

  it('fails on one event under two keys (a change the source published twice)', () => {
    const bodies = new Map([
      ['t:0:1', 'a'],
      ['t:0:2', 'b'],
      ['t:1:4', 'a'],
    ]);
    const result = checkWebhook(topic, new Set(topic), bodies);
    assert.equal(result.ok, false);
    assert.match(result.detail, /1 delivered more than once under other keys \(e\.g\. t:0:1 and t:1:4\)/);
  });
});

describe('checkWebhookSource', () => {
  it('holds when each acknowledged event is in the topic once and each kept one in the table once', () => {
    const result = checkWebhookSource(evidence());
    assert.equal(result.ok, true, result.detail);
    assert.match(result.detail, /3 events acknowledged \(1\/1 redeliveries answered duplicate\), 3 records/);
  });

  it('fails on a redelivery written twice to the topic', () => {
    assert.equal(checkWebhookSource(evidence({ recordsInTopic: 4 })).ok, false);
  });

  it('fails on a kept event missing from the table, a repeated row, or a filtered one present', () => {
    assert.equal(checkWebhookSource(evidence({ tableIds: ['evt_1'] })).ok, false);
    assert.equal(checkWebhookSource(evidence({ tableIds: ['evt_1', 'evt_3', 'evt_3'] })).ok, false);
    assert.equal(checkWebhookSource(evidence({ tableIds: ['evt_1', 'evt_2', 'evt_3'] })).ok, false);
  });

  it('fails when nothing was acknowledged', () => {
    const none = evidence({ acknowledged: new Map(), recordsInTopic: 0, tableIds: [] });
    assert.equal(checkWebhookSource(none).ok, false);
  });
});
