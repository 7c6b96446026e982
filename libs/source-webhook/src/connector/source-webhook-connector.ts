import { defineConnector } from '@sluice/connect';
import { WebhookSource } from './webhook-source';
import { sourceWebhookSettings } from './webhook-settings';

/**
 * source-webhook: SaaS webhooks (Stripe, GitHub, Shopify, Slack, another Sluice, any HMAC sender)
 * into Kafka, verified, deduplicated by delivery id, acknowledged only once Kafka has them.
 */
export const sourceWebhookConnector = defineConnector({
  name: 'source-webhook',
  kind: 'source',
  summary: 'receives webhooks, verified and deduplicated, into Kafka; a 2xx means the event is durable',
  port: 8105,
  doc: 'docs/source-webhook.md',
  settings: sourceWebhookSettings,
  topicKeys: ['endpoints', 'topics'],
  declareTopics(plan, settings, { file }) {
    for (const endpoint of settings.endpoints)
      plan.declare({
        name: endpoint.topic,
        partitions: settings.topics.partitions,
        replicationFactor: settings.topics.replicationFactor,
        origin: `source-webhook (${file}): endpoint ${endpoint.name}`,
      });
  },
  create: (config, context) => new WebhookSource(config, context),
});
