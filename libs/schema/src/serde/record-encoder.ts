import type { Type } from 'avsc';
import { createAvscType } from '../avro/avsc-types';
import { parseAvroSchema } from '../avro/parse-avro-schema';
import { InvalidRecordError } from './invalid-record-error';
import type { SchemaRegistryClient } from './schema-registry-client';
import { cacheCounters, LoadingCache, whenLoaded } from './promise-cache';
import { encodeFramed } from './wire-format';

const BY_SCHEMA = cacheCounters('encoder-schema');
const BY_ID = cacheCounters('encoder-schema-id');

export interface RecordEncoderOptions {
  /**
   * Register schemas given as text (true, the default, like Confluent's `auto.register.schemas`),
   * or only look them up so a producer cannot create new versions (false).
   */
  readonly autoRegister?: boolean;
}

interface WriterSchema {
  readonly id: number;
  readonly type: Type;
}

/**
 * Encodes values in the Confluent wire format. The registry is asked once per (subject, schema)
 * or once per id; after that encoding a record is a map lookup and avsc's compiled writer, with no
 * promise. Concurrent first calls share one request; a failed lookup is forgotten so the next record
 * retries it.
 */
export class RecordEncoder {
  /**
   * By subject, then by schema text: a caller passing the same string object each time costs one
   * cached-hash lookup, where one key of subject and text would be a new string to hash per record.
   */
  private readonly bySchema = new Map<string, LoadingCache<string, WriterSchema>>();
  private readonly byId = new LoadingCache<number, WriterSchema>({ counters: BY_ID });
  private readonly autoRegister: boolean;

  constructor(
    private readonly registry: SchemaRegistryClient,
    options: RecordEncoderOptions = {},
  ) {
    this.autoRegister = options.autoRegister ?? true;
  }

  /**
   * `schema` is the Avro schema text to write with, or the id of a registered schema. Throws
   * `InvalidSchemaError` for bad schema text, `InvalidRecordError` when `value` does not match,
   * and the registry client's errors. Once the writer schema is known the value is encoded at once
   * (a buffer, not a promise); the first record of a schema waits for the registry.
   */
  encode(subject: string, schema: string | number, value: unknown): Buffer | Promise<Buffer> {
    const writer =
      typeof schema === 'number' ? this.writerById(schema) : this.writerBySchema(subject, schema);
    return whenLoaded(writer, (loaded) => this.serialise(loaded, subject, value));
  }

  private serialise(writer: WriterSchema, subject: string, value: unknown): Buffer {
    try {
      return encodeFramed(writer.type, writer.id, value);
    } catch (error) {
      const paths: string[] = [];
      writer.type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '<root>') });
      const where = paths.length > 0 ? ` at ${paths.join(', ')}` : '';
      throw new InvalidRecordError(
        `Value does not match schema id ${writer.id} of subject "${subject}"${where}`,
        paths,
        { cause: error },
      );
    }
  }

  private writerBySchema(subject: string, text: string): WriterSchema | Promise<WriterSchema> {
    let bySubject = this.bySchema.get(subject);
    if (!bySubject) this.bySchema.set(subject, (bySubject = new LoadingCache({ counters: BY_SCHEMA })));
    return bySubject.get(text, async () => {
      parseAvroSchema(text); // located errors for bad schemas, before the registry sees them
      const id = this.autoRegister
        ? await this.registry.register(subject, text)
        : await this.registry.lookup(subject, text);
      return { id, type: createAvscType(JSON.parse(text)) };
    });
  }

  private writerById(id: number): WriterSchema | Promise<WriterSchema> {
    return this.byId.get(id, async () => {
      const text = await this.registry.schemaById(id);
      return { id, type: createAvscType(parseAvroSchema(text).json) };
    });
  }
}
