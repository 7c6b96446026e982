import { FatalRecordError } from '@sluice/errors';
import { type RecordDecoder, type RecordEncoder, type SchemaRegistryClient } from '@sluice/schema';

const MAGIC = 0;

function framed(bytes: Buffer | null): bytes is Buffer {
  return bytes !== null && bytes.length >= 5 && bytes[0] === MAGIC;
}

interface SubjectTarget {
  readonly subject: string;
  readonly id: number;
  readonly schema: string;
}

/**
 * Re-encodes Confluent-framed Avro to the latest version of the target's subjects
 * (TopicNameStrategy: `<target>-value`, `<target>-key`), read once when the replay starts: each
 * value is decoded with its writer schema resolved into the latest one (defaults filled in,
 * removed fields dropped) and framed with the latest id. Keys are re-encoded only when the target
 * has a key subject and the key is framed; tombstones stay null. A value that is not framed Avro,
 * or cannot be resolved into the latest schema, throws (the caller names the record).
 */
export class RecordReencoder {
  private constructor(
    private readonly decoder: RecordDecoder,
    private readonly encoder: RecordEncoder,
    private readonly value: SubjectTarget,
    private readonly key: SubjectTarget | undefined,
  ) {}

  static async forTarget(
    registry: SchemaRegistryClient,
    decoder: RecordDecoder,
    encoder: RecordEncoder,
    target: string,
  ): Promise<RecordReencoder> {
    const latest = async (subject: string): Promise<SubjectTarget> => {
      const id = await registry.latestId(subject);
      return { subject, id, schema: await registry.schemaById(id) };
    };
    const value = await latest(`${target}-value`);
    const key = await latest(`${target}-key`).catch((error: unknown) => {
      if (error instanceof FatalRecordError && error.code === 'SUBJECT_NOT_FOUND') return undefined;
      throw error;
    });
    return new RecordReencoder(decoder, encoder, value, key);
  }

  /** The latest schema ids re-encoding writes with. */
  get targetIds(): { value: number; key?: number } {
    return { value: this.value.id, ...(this.key && { key: this.key.id }) };
  }

  async reencodeValue(bytes: Buffer | null): Promise<Buffer | null> {
    if (bytes === null) return null;
    if (!framed(bytes)) {
      throw new FatalRecordError('the value is not Confluent-framed Avro (no magic byte 0)', {
        code: 'NOT_FRAMED',
      });
    }
    return this.reencode(bytes, this.value);
  }

  async reencodeKey(bytes: Buffer | null): Promise<Buffer | null> {
    if (this.key === undefined || !framed(bytes)) return bytes;
    return this.reencode(bytes, this.key);
  }

  private async reencode(bytes: Buffer, target: SubjectTarget): Promise<Buffer> {
    const { schemaId, value } = await this.decoder.decode(bytes, target.schema);
    if (schemaId === target.id) return bytes;
    return this.encoder.encode(target.subject, target.id, value);
  }
}
