import { FatalRecordError } from '@sluice/errors';
import { type ExpressionScope } from '@sluice/pipeline';
import { type RecordDecoder } from '@sluice/schema';
import { type ProcessContext, StageFailure, type StreamRecord } from '@sluice/stream';

/**
 * How keys and values are read: avro (Confluent framing, schema from the registry), json, string
 * (UTF-8 text) or bytes (a Buffer, rendered base64 in JSON).
 */
export type PayloadFormat = 'avro' | 'json' | 'string' | 'bytes';

/** A value that is not the JSON the configuration says it is. */
export class MalformedJsonError extends FatalRecordError {
  constructor(what: 'key' | 'value', cause: unknown) {
    super(`the record ${what} is not valid JSON: ${(cause as Error).message}`, {
      cause,
      code: 'MALFORMED_JSON',
    });
  }
}

/** What of the record was read as text: its key, its value or one header (`header "tenant"`). */
type Utf8Part = 'key' | 'value' | `header ${string}`;

/** Raw text that is not UTF-8: never replaced by U+FFFD, the record is dead-lettered saying so. */
export class InvalidUtf8Error extends FatalRecordError {
  constructor(what: Utf8Part, cause: unknown) {
    super(`the record ${what} is not valid UTF-8`, { cause, code: 'INVALID_UTF8' });
  }
}

// Fatal: toString('utf8') would put U+FFFD in place of a bad byte and send text the producer never wrote.
// ignoreBOM: a leading BOM stays in the text, as toString('utf8') left it.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes a record's key and value into the scope templates are evaluated over, as named stages
 * (KEY_CONVERTER / VALUE_CONVERTER), so an undecodable record is dead-lettered saying where.
 * Registry outages stay retriable (the runtime retries them in place). Header values are UTF-8 text,
 * each decoded when a template reads it: one that is not UTF-8 fails the record at HEADER_CONVERTER.
 */
export class RecordDecoding {
  constructor(
    private readonly keyFormat: PayloadFormat,
    private readonly valueFormat: PayloadFormat,
    private readonly decoder?: RecordDecoder,
  ) {
    if ((keyFormat === 'avro' || valueFormat === 'avro') && !decoder)
      throw new Error('RecordDecoding: avro needs a RecordDecoder');
  }

  async scope(record: StreamRecord, ctx: ProcessContext): Promise<ExpressionScope> {
    const key =
      record.key === null
        ? null
        : await ctx.stage('KEY_CONVERTER', this.className(this.keyFormat), () =>
            this.decode(record.key!, this.keyFormat, 'key'),
          );
    const value =
      record.value === null
        ? null
        : await ctx.stage('VALUE_CONVERTER', this.className(this.valueFormat), () =>
            this.decode(record.value!, this.valueFormat, 'value'),
          );
    let headers: Record<string, string | null> | undefined;
    return {
      key,
      value,
      topic: record.topic,
      partition: record.partition,
      offset: String(record.offset),
      timestamp: Number(record.timestamp),
      headers: () => {
        if (!headers) {
          headers = {};
          // Getters: only the headers a template reads are decoded, so a binary header it never reads
          // (a tracing or schema-id header) does not refuse the record. Of repeated keys the last wins.
          for (const { key, value } of record.headers)
            Object.defineProperty(headers, key, {
              enumerable: true,
              configurable: true,
              get: value === null ? () => null : () => this.headerText(key, value),
            });
        }
        return headers;
      },
    };
  }

  private async decode(bytes: Buffer, format: PayloadFormat, what: 'key' | 'value'): Promise<unknown> {
    switch (format) {
      case 'avro':
        return (await this.decoder!.decode(bytes)).value;
      case 'json':
        try {
          return JSON.parse(utf8(bytes, what));
        } catch (error) {
          if (error instanceof InvalidUtf8Error) throw error;
          throw new MalformedJsonError(what, error);
        }
      case 'string':
        return utf8(bytes, what);
      case 'bytes':
        return bytes;
    }
  }

  /**
   * A header value as text. Not UTF-8: a StageFailure of HEADER_CONVERTER, thrown as such since a
   * template reads headers synchronously inside its TRANSFORMATION stage (the innermost stage is kept).
   */
  private headerText(name: string, bytes: Buffer): string {
    try {
      return utf8(bytes, `header ${JSON.stringify(name)}`);
    } catch (error) {
      throw new StageFailure('HEADER_CONVERTER', this.className('string'), error);
    }
  }

  private className(format: PayloadFormat): string {
    return format === 'avro' ? 'RecordDecoder' : `${format.toUpperCase()}Decoder`;
  }
}

function utf8(bytes: Buffer, what: Utf8Part): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new InvalidUtf8Error(what, error);
  }
}
