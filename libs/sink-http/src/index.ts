// @sluice/sink-http — delivering records to HTTP endpoints: request templates over the record
// (the transformer's expression language), auth, idempotency keys, HMAC signatures, and per
// destination a token bucket, a circuit breaker and retries honouring Retry-After (the templates,
// credentials, breaker and Retry-After are @sluice/http-client's). The processor
// runs on @sluice/stream's StreamRuntime (at-least-once). See docs/sink-http.md.
export {
  httpDestinationConfigSchema,
  destinationRetrySchema,
  type HttpDestinationConfig,
  type HttpDestinationConfigInput,
} from './config/http-destination-config';
export { WebhookSignature, SIGNATURE_HEADER } from '@sluice/webhook-signing';
export { RequestTemplate } from './template/request-template';
export { IdempotencyKey, IDEMPOTENCY_KEY_HEADER, BATCH_KEYS_HEADER } from './delivery/idempotency-key';
export { type PreparedRequest } from './delivery/prepared-request';
export {
  EndpointUnreachableError,
  RetriableStatusError,
  CircuitOpenError,
  DeliveryRejectedError,
  DeliveryExhaustedError,
} from './delivery/delivery-errors';
export {
  HttpDestination,
  type DestinationStatus,
  type HttpDestinationOptions,
} from './delivery/http-destination';
export {
  HttpSinkProcessor,
  type HttpSinkProcessorOptions,
  type SkipCounters,
} from './delivery/http-sink-processor';
export { RecordDecoding, MalformedJsonError, type PayloadFormat } from './decoding/record-decoding';
export { sinkHttpConnector } from './connector/sink-http-connector';
export { sinkHttpSettings } from './connector/sink-http-config';
export {
  HttpSink,
  type SinkHttpConfig,
  type SinkHttpConfigInput,
  type SinkHttpStatus,
  type PartitionStatus,
  type BreakerListener,
} from './connector/http-sink';
