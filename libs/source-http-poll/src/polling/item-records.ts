import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type Message } from 'kafkajs';
import { ConfigError } from '@sluice/errors';
import { Expression, ExpressionEvaluationError, type ExpressionScope } from '@sluice/pipeline';
import {
  type AvroCodec,
  canonicalAvroSchema,
  compileAvroCodec,
  type RecordEncoder,
  unframeRecord,
} from '@sluice/schema';
import { type PollStreamConfig } from '../connector/http-poll-settings';
import { comparable, type Mark } from '../cursor/poll-cursor';
import { PollFailedError } from './poll-errors';

/** The generic value of a stream without a declared schema: the item as JSON text, and what it is. */
export const HTTP_POLL_ENVELOPE_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'PolledItem',
  namespace: 'io.sluice.httppoll',
  doc: 'An item read from a REST API: its key and version, as JSON text; op d (with item null) when reconciliation found it gone.',
  fields: [
    { name: 'stream', type: 'string' },
    { name: 'op', type: 'string', doc: 'u: listed (new or changed); d: no longer listed.' },
    { name: 'key', type: 'string' },
    { name: 'version', type: ['null', 'string'], default: null },
    { name: 'polled_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'item', type: ['null', 'string'], default: null, doc: 'The item, JSON text as the API sent it.' },
  ],
});

const STRING_SCHEMA = '"string"';
const STRING_KEY = compileAvroCodec('string');

/** Record headers naming the stream, the operation and the item's version. */
export const STREAM_HEADER = 'sluice.http-poll.stream';
export const OP_HEADER = 'sluice.http-poll.op';
export const VERSION_HEADER = 'sluice.http-poll.version';

/** What the stream knows of one listed item. */
export interface ListedItem {
  readonly key: string;
  readonly version: string;
  /** Its position in the API's order (cursor field and tie-breaker), when the stream has a cursor field. */
  readonly mark: Mark | undefined;
  readonly item: Record<string, unknown>;
}

/**
 * One stream's items as Kafka records: key, version and mark read by the configured expressions,
 * the value in the declared Avro schema (a misfit names the field) or the generic envelope, the
 * key an Avro string, both with the registry's framing.
 */
export class ItemRecords {
  private readonly keyOf: Expression;
  private readonly versionOf: Expression | undefined;
  private readonly markOf: Expression | undefined;
  private readonly tieOf: Expression | undefined;
  private readonly schema: string;
  private readonly codec: AvroCodec | undefined;
  /** The registry subjects, made once: the encoder finds a string it has seen by its cached hash. */
  private readonly keySubject: string;
  private readonly valueSubject: string;

  constructor(
    private readonly config: PollStreamConfig,
    baseDir: string,
    private readonly encoder: RecordEncoder,
  ) {
    this.keySubject = `${config.topic}-key`;
    this.valueSubject = `${config.topic}-value`;
    this.keyOf = Expression.parse(config.key);
    this.markOf = config.cursor.field ? Expression.parse(config.cursor.field) : undefined;
    this.tieOf = config.cursor.tieBreaker ? Expression.parse(config.cursor.tieBreaker) : undefined;
    this.versionOf = config.version ? Expression.parse(config.version) : this.markOf;
    if (config.schema) {
      const at = `streams[${config.name}].schema.file`;
      const file = isAbsolute(config.schema.file) ? config.schema.file : resolve(baseDir, config.schema.file);
      try {
        this.schema = canonicalAvroSchema(readFileSync(file, 'utf8'));
        this.codec = compileAvroCodec(JSON.parse(this.schema));
      } catch (error) {
        throw new ConfigError(`${at}: ${file}: ${(error as Error).message}`, file, at, { cause: error });
      }
    } else this.schema = HTTP_POLL_ENVELOPE_SCHEMA;
  }

  get topic(): string {
    return this.config.topic;
  }

  /** Reads key, version and mark of an item; an item without a key is a stream error naming it. */
  listed(item: Record<string, unknown>, index: number): ListedItem {
    try {
      return this.read(item, index);
    } catch (error) {
      if (!(error instanceof ExpressionEvaluationError)) throw error;
      // An expression that fails on an item (a string where a number was meant) is the page's fault.
      throw new PollFailedError(`${this.config.name}: item ${index}: ${error.message}`, {
        code: 'HTTP_POLL_BAD_ITEM',
        cause: error,
      });
    }
  }

  private read(item: Record<string, unknown>, index: number): ListedItem {
    const scope = itemScope(item, this.config.topic);
    const key = this.keyOf.valueFor(scope);
    if (typeof key !== 'string' && typeof key !== 'number')
      throw new PollFailedError(
        `${this.config.name}: item ${index} has no usable key (\`${this.config.key}\` gave ${key === null || key === undefined ? 'nothing' : typeof key})`,
        { code: 'HTTP_POLL_BAD_ITEM' },
      );
    let mark: Mark | undefined;
    if (this.markOf) {
      const value = this.markOf.valueFor(scope);
      if ((typeof value !== 'string' && typeof value !== 'number') || comparable(value) === null)
        throw new PollFailedError(
          `${this.config.name}: item ${index} (key ${key}) has no usable cursor field (\`${this.config.cursor.field}\` gave ${JSON.stringify(value) ?? 'nothing'})`,
          { code: 'HTTP_POLL_BAD_ITEM' },
        );
      const id = this.tieOf?.valueFor(scope);
      mark = { value, id: typeof id === 'string' || typeof id === 'number' ? id : null };
    }
    const version = this.versionOf?.valueFor(scope);
    return {
      key: String(key),
      version:
        version === null || version === undefined
          ? createHash('sha256').update(JSON.stringify(item)).digest('base64url').slice(0, 22)
          : String(version),
      mark,
      item,
    };
  }

  /** The record of a listed item (op u). */
  async upsert(listed: ListedItem, headers: Record<string, string | Buffer>): Promise<Message> {
    let value: unknown;
    if (this.codec) {
      const wrong = this.codec.invalidPaths(listed.item);
      if (wrong.length > 0)
        throw new PollFailedError(
          `${this.config.name}: item ${listed.key} does not fit the schema at ${wrong.slice(0, 5).join(', ')}`,
          { code: 'HTTP_POLL_BAD_ITEM' },
        );
      value = listed.item;
    } else value = this.envelope('u', listed.key, listed.version, JSON.stringify(listed.item));
    return this.message(listed.key, value, 'u', listed.version, headers);
  }

  /**
   * What reconciliation writes for a key no longer listed: with the envelope a delete event, then a
   * tombstone (as Debezium does), so compaction forgets the key; with a declared schema the tombstone.
   */
  async deletion(key: string, headers: Record<string, string | Buffer>): Promise<Message[]> {
    const tombstone = {
      key: await this.encodedKey(key),
      value: null,
      headers: { ...headers, [OP_HEADER]: 'd', [STREAM_HEADER]: this.config.name },
    };
    if (this.codec) return [tombstone];
    return [await this.message(key, this.envelope('d', key, null, null), 'd', undefined, headers), tombstone];
  }

  /** The key a record of this stream carries, as text (what reconciliation compares). */
  decodeKey(bytes: Buffer): string {
    return String(STRING_KEY.decode(unframeRecord(bytes).payload));
  }

  private envelope(op: 'u' | 'd', key: string, version: string | null, item: string | null) {
    return { stream: this.config.name, op, key, version, polled_at: Date.now(), item };
  }

  private async message(
    key: string,
    value: unknown,
    op: 'u' | 'd',
    version: string | undefined,
    headers: Record<string, string | Buffer>,
  ): Promise<Message> {
    return {
      key: await this.encodedKey(key),
      value: await this.encoder.encode(this.valueSubject, this.schema, value),
      headers: {
        ...headers,
        [STREAM_HEADER]: this.config.name,
        [OP_HEADER]: op,
        ...(version !== undefined ? { [VERSION_HEADER]: version } : {}),
      },
    };
  }

  private encodedKey(key: string): Buffer | Promise<Buffer> {
    return this.encoder.encode(this.keySubject, STRING_SCHEMA, key);
  }
}

function itemScope(item: Record<string, unknown>, topic: string): ExpressionScope {
  return { value: item, key: null, headers: () => ({}), topic, partition: 0, offset: '0', timestamp: 0 };
}
