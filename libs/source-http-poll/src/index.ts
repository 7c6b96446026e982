// @sluice/source-http-poll — REST APIs into Kafka: per stream a request template with the cursor
// in it, pagination, a high-water mark or ETag, and each page committed with its cursor in one
// Kafka transaction (exactly once), within the API's limits. See docs/source-http-poll.md.
export { sourceHttpPollConnector } from './connector/source-http-poll-connector';
export { sourceHttpPollSettings, type PollStreamConfig } from './connector/http-poll-settings';
export {
  HttpPollSource,
  type SourceHttpPollConfig,
  type HttpPollSourcePhase,
} from './connector/http-poll-source';
export { HTTP_POLL_ENVELOPE_SCHEMA, STREAM_HEADER, OP_HEADER, VERSION_HEADER } from './polling/item-records';
export { type PollCursor } from './cursor/poll-cursor';
export { linkRelNext } from './polling/pagination';
