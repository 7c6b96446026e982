import { createHash } from 'node:crypto';
import { type ExpressionScope } from '@sluice/pipeline';
import { parseRedriveOrigin, REDRIVE_HEADERS } from '@sluice/stream';
import { TemplateRenderError, TextTemplate } from '@sluice/http-client';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** On a batch: the member records' own keys, comma-separated, in batch order. */
export const BATCH_KEYS_HEADER = 'X-Sluice-Idempotency-Keys';

/**
 * The idempotency key of an event, sent as `Idempotency-Key`. By default the Kafka coordinates
 * `<topic>:<partition>:<offset>`: the same record redelivered (a crash before the commit, a retry,
 * a rebalance) carries the same key, so a receiver that remembers keys accepts it once. A DLQ
 * redrive's copy (`sluice.redrive.of`) carries its original's coordinates: the original may have
 * been applied with its answer lost (a timeout) before it was dead-lettered. A template
 * over the record replaces it when the upstream itself may repeat an event at a new offset (e.g.
 * `{{ value.source.lsn }}:{{ $key.id }}` for CDC events, stable across a source re-publish).
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
