import { consumerGroupTopics, defineConnector } from '@sluice/connect';
import { HttpSink } from './http-sink';
import { sinkHttpSettings } from './sink-http-config';

/**
 * sink-http: records of Kafka topics to HTTP endpoints, at least once, per key in order, with
 * idempotency keys, signatures, rate limits, circuit breakers and a dead-letter topic.
 */
export const sinkHttpConnector = defineConnector({
  name: 'sink-http',
  kind: 'sink',
  summary: 'delivers records of Kafka topics to HTTP endpoints, at least once',
  port: 8104,
  doc: 'docs/sink-http.md',
  settings: sinkHttpSettings,
  topicKeys: ['group', 'topics', 'runtime'],
  declareTopics: consumerGroupTopics('sink-http'),
  create(config, { logger, registry, dependencies }) {
    const sink = new HttpSink(config, registry, logger);
    const usesRegistry = config.keyFormat === 'avro' || config.valueFormat === 'avro';
    // Destinations are not probed: an endpoint that is down is the circuit breaker's business
    // (records wait, then go to the DLQ) and restarting the sink would not help it.
    return sink.hosted('sink', [dependencies.kafka, ...(usesRegistry ? [dependencies.registry] : [])]);
  },
});
