import { type Transaction, type TopicOffsets } from 'kafkajs';

/**
 * A kafkajs transaction with `sendOffsets` in its two halves (patches/kafkajs: AddOffsetsToTxn and
 * TxnOffsetCommit), so that an exactly-once batch need not wait for them one after the other at
 * its end: the group joins the transaction while the batch's records are processed, and its
 * offsets travel beside the last produce request.
 */
export interface SplitOffsetsTransaction {
  /** Makes the group part of the transaction. No produce request may be in flight meanwhile. */
  addOffsets(options: { consumerGroupId: string }): Promise<void>;
  /** The group's offsets, committed with the transaction; after `addOffsets`. */
  commitOffsets(options: { consumerGroupId: string; topics: TopicOffsets[] }): Promise<void>;
}

/** `transaction` with the split offsets calls; throws if the kafkajs patch is not applied. */
export function splitOffsets(transaction: Transaction): Transaction & SplitOffsetsTransaction {
  const split = transaction as Transaction & Partial<SplitOffsetsTransaction>;
  if (typeof split.addOffsets !== 'function' || typeof split.commitOffsets !== 'function')
    throw new Error('kafkajs is not patched (patches/kafkajs+2.2.4.patch): run npm install');
  return split as Transaction & SplitOffsetsTransaction;
}
