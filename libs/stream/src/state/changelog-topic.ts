import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type StateChange } from './key-value-store';

/**
 * The compacted topic that backs a state store (Kafka Streams' `<application.id>-<store>-changelog`):
 * one partition per input partition, key = the store key (UTF-8), value = the stored bytes, a
 * tombstone for a delete. Written only inside the partition's Kafka transaction, read committed on
 * restore.
 */
export function changelogTopicFor(group: string, store: string): string {
  return `${group}-${store}-changelog`;
}

/** A store name: what a topic name allows, so that its changelog topic is valid. */
export const STORE_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** The changelog record of one write, for the runtime's own-topic path of the delivery. */
export function changelogRecord(group: string, change: StateChange): DeadLetterRecord {
  return {
    topic: changelogTopicFor(group, change.store),
    key: Buffer.from(change.key, 'utf8'),
    value: change.value,
    headers: [],
  };
}
