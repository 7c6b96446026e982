import { BaseRpcContext } from '@nestjs/microservices';
import { type RecordHeaders } from '../dead-letter/record-headers';
import { type StreamRecord } from '../processor/stream-record';

/**
 * What an `@EventPattern` handler gets with `@Ctx()`: where the record came from and its raw parts
 * (the payload is the decoded value).
 */
export class SluiceRecordContext extends BaseRpcContext<[StreamRecord, number]> {
  constructor(record: StreamRecord, attempt: number) {
    super([record, attempt]);
  }
  getRecord(): StreamRecord {
    return this.args[0];
  }
  getTopic(): string {
    return this.args[0].topic;
  }
  getPartition(): number {
    return this.args[0].partition;
  }
  getOffset(): bigint {
    return this.args[0].offset;
  }
  getKey(): Buffer | null {
    return this.args[0].key;
  }
  getHeaders(): RecordHeaders {
    return this.args[0].headers;
  }
  /** 1 on the first attempt, more when a retriable error made the runtime try again. */
  getAttempt(): number {
    return this.args[1];
  }
}
