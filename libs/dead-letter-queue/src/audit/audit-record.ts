import { SluiceError } from '@sluice/errors';

/** The audit trail of a group's DLQ: one record per redrive or purge, kept (no compaction, no expiry). */
export function auditTopicFor(group: string): string {
  return `${group}.dlq.audit`;
}

interface AuditBase {
  /** The run's id (a UUID); the record's key, and `sluice.redrive.id` of a redrive's copies. */
  readonly id: string;
  readonly group: string;
  /** ISO-8601. */
  readonly at: string;
  /** Who ran it (`--actor`, default the OS user). */
  readonly actor: string;
  /** The filter as given (flags), for people. */
  readonly filter: Readonly<Record<string, unknown>>;
}

/** A redrive: which dead letters were published where, and which parked keys it releases. */
export interface RedriveAuditRecord extends AuditBase {
  readonly kind: 'redrive';
  readonly count: number;
  /** `partition/offset` of each dead letter published, in the DLQ. */
  readonly deadLetters: readonly string[];
  readonly targets: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly count: number;
  }>;
  readonly releases: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    /** The record key, base64. */
    readonly key: string;
    readonly failedOffset: string;
    readonly through: string;
  }>;
}

/** A purge: the DLQ's records deleted below `to` in each partition. */
export interface PurgeAuditRecord extends AuditBase {
  readonly kind: 'purge';
  readonly count: number;
  readonly before?: string;
  readonly force: boolean;
  readonly partitions: ReadonlyArray<{
    readonly partition: number;
    readonly from: string;
    readonly to: string;
  }>;
}

export type AuditRecord = RedriveAuditRecord | PurgeAuditRecord;

/** An audit topic record Sluice did not write. */
export class MalformedAuditRecordError extends SluiceError {
  readonly code = 'DLQ_AUDIT_MALFORMED';
  readonly retriable = false;
}

export function encodeAuditRecord(record: AuditRecord): { key: Buffer; value: Buffer } {
  return { key: Buffer.from(record.id, 'utf8'), value: Buffer.from(JSON.stringify(record), 'utf8') };
}

/** Reads an audit record back; `where` (topic[partition]@offset) names it in the error. */
export function decodeAuditRecord(value: Buffer | null, where: string): AuditRecord {
  let parsed: unknown;
  try {
    parsed = value === null ? null : JSON.parse(value.toString('utf8'));
  } catch {
    throw new MalformedAuditRecordError(`audit record at ${where} is not JSON`);
  }
  const kind = (parsed as { kind?: unknown } | null)?.kind;
  const id = (parsed as { id?: unknown } | null)?.id;
  if ((kind !== 'redrive' && kind !== 'purge') || typeof id !== 'string')
    throw new MalformedAuditRecordError(`audit record at ${where} is not a Sluice redrive or purge record`);
  if (kind === 'redrive' && !Array.isArray((parsed as { deadLetters?: unknown }).deadLetters))
    throw new MalformedAuditRecordError(`audit record at ${where} has no deadLetters list`);
  return parsed as AuditRecord;
}
