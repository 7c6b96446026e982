// @sluice/source-webhook — inbound webhooks into Kafka: per endpoint a verification scheme
// (@sluice/webhook-signing), a delivery id for deduplication, a key expression and an Avro value;
// the sender's 2xx only after Kafka acknowledged. See docs/source-webhook.md.
export { sourceWebhookConnector } from './connector/source-webhook-connector';
export { sourceWebhookSettings, type WebhookEndpointConfig } from './connector/webhook-settings';
export {
  WebhookSource,
  EVENT_TYPE_HEADER,
  type SourceWebhookConfig,
  type WebhookSourcePhase,
} from './connector/webhook-source';
export { DELIVERY_ID_HEADER } from './ledger/delivery-ledger';
export { WEBHOOK_ENVELOPE_SCHEMA } from './intake/webhook-endpoint';
