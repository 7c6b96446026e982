import {
  ConfluentSchemaRegistryClient,
  readableAvroValue,
  RecordDecoder,
  type RegistryBasicAuth,
} from '@sluice/schema';
import { type DeadLetter } from '../dead-letter/dead-letter';

/** A key or value for people: decoded Avro (JSON), UTF-8 text, or base64 — and why not decoded. */
export type RenderedBytes =
  | null
  | { readonly avro: unknown; readonly schemaId: number }
  | { readonly text: string; readonly decodeError?: string }
  | { readonly base64: string; readonly decodeError?: string };

/** A dead letter as `sluice dlq show` prints it. */
export interface RenderedDeadLetter {
  readonly dlq: { readonly partition: number; readonly offset: string };
  readonly timestamp: string;
  readonly origin: string | null;
  readonly errorClass: string;
  readonly stage?: string;
  readonly message?: string;
  readonly attempts?: number;
  readonly parkedBehind?: string;
  readonly key: RenderedBytes;
  readonly value: RenderedBytes;
  /** Each header as text (bytes that are not UTF-8 text as base64:...); a repeated name as a list. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** Redrives (ids) that already published this dead letter, per the audit trail. */
  readonly redrivenBy: readonly string[];
}

/**
 * Decodes dead letters for people through the schema registry: Confluent-framed values as Avro
 * decoded to JSON; anything else as UTF-8 text when it is printable, else base64. Never throws for
 * a record: an unknown schema id or an unreachable registry is shown beside the raw bytes.
 */
export class DeadLetterRenderer {
  private readonly decoder: RecordDecoder;

  constructor(registry: { readonly url: string; readonly auth?: RegistryBasicAuth }) {
    this.decoder = new RecordDecoder(
      new ConfluentSchemaRegistryClient({ url: registry.url, auth: registry.auth, retries: 1 }),
    );
  }

  /** The decoded key (Avro JSON value), or undefined when it is not Avro or cannot be decoded. */
  async decodedKey(letter: DeadLetter): Promise<unknown> {
    const rendered = await this.bytes(letter.key);
    return rendered && 'avro' in rendered ? rendered.avro : undefined;
  }

  async render(letter: DeadLetter, redrivenBy: readonly string[] = []): Promise<RenderedDeadLetter> {
    const headers: Record<string, string | string[]> = {};
    for (const h of letter.headers) {
      const textValue =
        h.value === null
          ? ''
          : printable(h.value)
            ? h.value.toString('utf8')
            : `base64:${h.value.toString('base64')}`;
      const existing = headers[h.key];
      headers[h.key] =
        existing === undefined
          ? textValue
          : [...(Array.isArray(existing) ? existing : [existing]), textValue];
    }
    const fields = {
      dlq: { partition: letter.partition, offset: String(letter.offset) },
      timestamp: new Date(letter.timestamp).toISOString(),
      origin: letter.source
        ? `${letter.source.topic}/${letter.source.partition}/${letter.source.offset}`
        : null,
      errorClass: letter.errorClass,
      stage: letter.stage,
      message: letter.message,
      attempts: letter.attempts,
      parkedBehind: letter.parkedBehind === undefined ? undefined : String(letter.parkedBehind),
      key: await this.bytes(letter.key),
      value: await this.bytes(letter.value),
      headers,
      redrivenBy,
    };
    return Object.fromEntries(
      Object.entries(fields).filter(([, v]) => v !== undefined),
    ) as unknown as RenderedDeadLetter;
  }

  /** Any record's key or value for people, as a dead letter's (the console's topic browser). */
  renderBytes(bytes: Buffer | null): Promise<RenderedBytes> {
    return this.bytes(bytes);
  }

  private async bytes(bytes: Buffer | null): Promise<RenderedBytes> {
    if (bytes === null) return null;
    let decodeError: string | undefined;
    if (bytes.length >= 5 && bytes[0] === 0) {
      try {
        const decoded = await this.decoder.decode(bytes);
        return {
          avro: readableAvroValue(decoded.schema.type, decoded.value),
          schemaId: decoded.schemaId,
        };
      } catch (error) {
        decodeError = (error as Error).message.split('\n')[0];
      }
    }
    const extra = decodeError !== undefined ? { decodeError } : {};
    return printable(bytes)
      ? { text: bytes.toString('utf8'), ...extra }
      : { base64: bytes.toString('base64'), ...extra };
  }
}

/** Valid UTF-8 without control characters other than tab and line breaks. */
function printable(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  return (
    Buffer.byteLength(text, 'utf8') === bytes.length &&
    !text.includes('\ufffd') &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)
  );
}
