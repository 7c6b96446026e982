import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWebhookSource, type WebhookSourceEvidence } from './pipeline-checks';

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
