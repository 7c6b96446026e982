import { createHash } from 'node:crypto';
import { type ExpressionScope } from '@sluice/pipeline';
import { parseRedriveOrigin, REDRIVE_HEADERS } from '@sluice/stream';
import { TemplateRenderError, TextTemplate } from '@sluice/http-client';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** On a batch: the member records' own keys, comma-separated, in batch order. */
export const BATCH_KEYS_HEADER = 'X-Sluice-Idempotency-Keys';

/**
 * The idempotency key of an event, sent as `Idempotency-Key`. By default:
 *
 * - a change event of a CDC topic (a Debezium envelope: `op` and a `source` block with an `lsn`,
 *   a non-null key): `<topic>:<source.lsn>:<key>`, the change's own identity, so the same change
 *   re-published by its source as a new record (an at-least-once source's replay after a crash)
 *   carries the same key (a DLQ redrive's copy: its original's topic). `<key>` is the key record's field values in order, each URI-encoded,
 *   joined by `|` (a scalar key: its value);
 * - any other record: the Kafka coordinates `<topic>:<partition>:<offset>`: the same record
 *   redelivered (a crash before the commit, a retry, a rebalance) carries the same key. A DLQ
 *   redrive's copy (`sluice.redrive.of`) carries its original's coordinates: the original may have
 *   been applied with its answer lost (a timeout) before it was dead-lettered.
 *
 * A receiver that remembers keys accepts each event once. A template over the record replaces the
 * default when the upstream may repeat an event otherwise.
 */
export class IdempotencyKey {
  private constructor(private readonly template?: TextTemplate) {}

  static fromTemplate(text: string | undefined): IdempotencyKey {
    return new IdempotencyKey(text === undefined ? undefined : TextTemplate.parse(text));
  }

  valueFor(scope: ExpressionScope): string {
    if (!this.template) {
      const redriven = scope.headers()[REDRIVE_HEADERS.of];
      const origin = redriven ? parseRedriveOrigin(redriven) : undefined;
      const change = changeIdentity(scope);
      if (change !== undefined) return `${origin?.topic ?? scope.topic}:${change}`;
      if (origin) return `${origin.topic}:${origin.partition}:${origin.offset}`;
      return `${scope.topic}:${scope.partition}:${scope.offset}`;
    }
    const key = this.template.render(scope);
    if (key === '')
      throw new TemplateRenderError(`the idempotency key template \`${this.template.text}\` rendered empty`);
    if (/[\r\n,]/.test(key))
      throw new TemplateRenderError(
        `the idempotency key ${JSON.stringify(key)} contains a comma or a line break`,
      );
    return key;
  }

  /**
   * A batch's key: `batch-` and the SHA-256 (hex, first 32 digits) of its members' keys joined by
   * newlines, in order. The same records batched the same way get the same key; a redelivery may
   * batch differently, so receivers that need exactly-once per event use the member keys
   * (`X-Sluice-Idempotency-Keys`).
   */
  static ofBatch(memberKeys: readonly string[]): string {
    return `batch-${createHash('sha256').update(memberKeys.join('\n')).digest('hex').slice(0, 32)}`;
  }
}

/**
 * `<source.lsn>:<key>` of a Debezium change event (`op`, `source.lsn`, a non-null key), else
 * undefined. Every change of a Postgres source has an LSN of its own; snapshot reads share their
 * snapshot's LSN and are told apart by the key (a keyless table's are not: coordinates then).
 */
function changeIdentity(scope: ExpressionScope): string | undefined {
  const value = scope.value as { op?: unknown; source?: { lsn?: unknown } | null } | null | undefined;
  if (value === null || typeof value !== 'object' || typeof value.op !== 'string') return undefined;
  const lsn = value.source?.lsn;
  if ((typeof lsn !== 'number' && typeof lsn !== 'bigint' && typeof lsn !== 'string') || lsn === '')
    return undefined;
  const key = keyText(scope.key);
  return key === undefined ? undefined : `${String(lsn)}:${key}`;
}

function keyText(key: unknown): string | undefined {
  if (key === null || key === undefined) return undefined;
  if (typeof key !== 'object' || Buffer.isBuffer(key)) return scalarText(key);
  const parts = Object.values(key as Record<string, unknown>).map(scalarText);
  return parts.length === 0 || parts.some((p) => p === undefined) ? undefined : parts.join('|');
}

function scalarText(value: unknown): string | undefined {
  if (value === null) return '';
  if (typeof value === 'string') return encodeURIComponent(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return encodeURIComponent(JSON.stringify(value) ?? '');
}
