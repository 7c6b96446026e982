import type { Resolver, Type } from 'avsc';
import { FatalRecordError } from '@sluice/errors';
import type { AvroSchema } from '../avro/avro-type';
import { createAvscType } from '../avro/avsc-types';
import { canonicalForm } from '../avro/canonical-avro-schema';
import { parseAvroSchema } from '../avro/parse-avro-schema';
import { formatIncompatibility } from '../compatibility/incompatibility';
import { ReaderWriterChecker } from '../compatibility/reader-writer-checker';
import { CorruptRecordError } from './corrupt-record-error';
import { cacheCounters, LoadingCache, whenLoaded } from './promise-cache';
import type { SchemaRegistryClient } from './schema-registry-client';
import { unframe } from './wire-format';

const DECODER_WRITERS = cacheCounters('decoder-writer-schema');

export interface DecodedRecord<T = unknown> {
  readonly schemaId: number;
  readonly value: T;
  /** The schema the value has: the reader's when one was given, else the writer's. */
  readonly schema: AvroSchema;
}

export interface RecordDecoderOptions {
  /**
   * Schema text every record is decoded into unless `decode` is given another: an older writer
   * version is resolved into this shape (defaults filled in, removed fields dropped, promotions
   * applied). Without one, records decode in their writer's own shape.
   */
  readonly readerSchema?: string;
}

interface ParsedSchema {
  readonly schema: AvroSchema;
  readonly canonical: string;
  readonly type: Type;
}

/** How to read one writer id with one reader: directly, through a resolver, or not at all. */
type Reading =
  | { readonly type: Type; readonly schema: AvroSchema; readonly resolver?: Resolver }
  | { readonly error: FatalRecordError };

/**
 * Decodes Confluent-framed Avro. Writer schemas are fetched once per id; reader schemas are parsed
 * once per text; the avsc resolver from a writer to a reader is built once per (writer id, reader
 * schema) — including a failure to build one, which is remembered as the fatal error it is.
 */
export class RecordDecoder {
  private readonly writers = new LoadingCache<number, ParsedSchema>({ counters: DECODER_WRITERS });
  private readonly readers = new Map<string, ParsedSchema>();
  private readonly readings = new Map<string, Reading>();

  constructor(
    private readonly registry: SchemaRegistryClient,
    private readonly options: RecordDecoderOptions = {},
  ) {}

  /**
   * Throws `CorruptRecordError` for bytes that are not framed Avro or do not decode,
   * `UnknownSchemaIdError` / `SchemaRegistryUnavailableError` from the registry, and a
   * `FatalRecordError` with code `SCHEMA_UNRESOLVABLE` when the reader cannot read the writer.
   * Once the writer's schema is known the record decodes at once (a value, not a promise) and its
   * failures are thrown; the first record of a schema id waits for the registry, and the
   * registry's failures reject. Callers `await` it either way.
   */
  decode<T = unknown>(
    buffer: Buffer,
    readerSchema = this.options.readerSchema,
  ): DecodedRecord<T> | Promise<DecodedRecord<T>> {
    const { schemaId, payload } = unframe(buffer);
    const writer = this.writers.get(schemaId, async () => parsed(await this.registry.schemaById(schemaId)));
    return whenLoaded(writer, (loaded) => this.read<T>(schemaId, loaded, payload, readerSchema));
  }

  private read<T>(
    schemaId: number,
    writer: ParsedSchema,
    payload: Buffer,
    readerSchema: string | undefined,
  ): DecodedRecord<T> {
    const reading =
      readerSchema === undefined
        ? { type: writer.type, schema: writer.schema }
        : this.reading(schemaId, writer, readerSchema);
    if ('error' in reading) throw reading.error;
    try {
      return {
        schemaId,
        value: reading.type.fromBuffer(payload, reading.resolver) as T,
        schema: reading.schema,
      };
    } catch (error) {
      throw new CorruptRecordError(
        `Record with schema id ${schemaId} does not decode as Avro (${(error as Error).message})`,
        schemaId,
        { cause: error },
      );
    }
  }

  private reading(writerId: number, writer: ParsedSchema, readerText: string): Reading {
    const key = `${writerId}\u0000${readerText}`;
    let reading = this.readings.get(key);
    if (!reading) {
      reading = resolve(writerId, writer, this.reader(readerText));
      this.readings.set(key, reading);
    }
    return reading;
  }

  private reader(text: string): ParsedSchema {
    let reader = this.readers.get(text);
    if (!reader) {
      reader = parsed(text);
      this.readers.set(text, reader);
    }
    return reader;
  }
}

function parsed(text: string): ParsedSchema {
  const schema = parseAvroSchema(text);
  return { schema, canonical: canonicalForm(schema.type), type: createAvscType(schema.json) };
}

function resolve(writerId: number, writer: ParsedSchema, reader: ParsedSchema): Reading {
  if (writer.canonical === reader.canonical) return { type: reader.type, schema: reader.schema };
  // Our checker explains; avsc decides, since avsc is what will read the bytes.
  const problems = new ReaderWriterChecker()
    .check(reader.schema.type, writer.schema.type)
    .map((inc) => formatIncompatibility(inc, { reader: 'reader', writer: 'writer' }));
  try {
    if (problems.length === 0)
      return { type: reader.type, schema: reader.schema, resolver: reader.type.createResolver(writer.type) };
  } catch (error) {
    problems.push((error as Error).message);
  }
  return {
    error: new FatalRecordError(
      `The reader schema cannot read records written with schema id ${writerId}: ${problems.join('; ')}`,
      { code: 'SCHEMA_UNRESOLVABLE' },
    ),
  };
}
