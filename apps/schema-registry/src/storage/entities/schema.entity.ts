import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A schema with its global id. Rows are immutable and never deleted, so an id, once handed out,
 * names the same schema for ever (which is what lets replicas cache lookups by id).
 */
@Entity({ name: 'schemas' })
export class SchemaEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id!: number;

  @Column({ name: 'schema_type', type: 'text' })
  schemaType!: string;

  /** The schema text as first registered. */
  @Column({ type: 'text' })
  schema!: string;

  /** sha256 of the canonical form: the identity of a schema. Unique. */
  @Column({ name: 'canonical_hash', type: 'text', unique: true })
  canonicalHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
