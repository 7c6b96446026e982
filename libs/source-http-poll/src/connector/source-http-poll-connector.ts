import { defineConnector } from '@sluice/connect';
import { HttpPollSource } from './http-poll-source';
import { sourceHttpPollSettings } from './http-poll-settings';

/**
 * source-http-poll: REST APIs without webhooks into Kafka, incrementally (a high-water mark, ETags),
 * exactly once (each page and its cursor in one Kafka transaction), within the API's limits.
 */
export const sourceHttpPollConnector = defineConnector({
  name: 'source-http-poll',
  kind: 'source',
  summary: 'polls REST APIs into Kafka: each new or changed item once, within the API’s rate limits',
  port: 8106,
  doc: 'docs/source-http-poll.md',
  settings: sourceHttpPollSettings,
  topicKeys: ['name', 'streams', 'offsets', 'topics'],
  declareTopics(plan, settings, { file }) {
    for (const stream of settings.streams)
      plan.declare({
        name: stream.topic,
        partitions: settings.topics.partitions,
        replicationFactor: settings.topics.replicationFactor,
        origin: `source-http-poll (${file}): stream ${stream.name}`,
      });
    plan.declare({
      name: settings.offsets.topic ?? `${settings.name}.offsets`,
      partitions: 1,
      replicationFactor: settings.topics.replicationFactor,
      configs: { 'cleanup.policy': 'compact' },
      origin: `source-http-poll (${file}): committed cursors`,
    });
  },
  create: (config, context) => new HttpPollSource(config, context),
});
