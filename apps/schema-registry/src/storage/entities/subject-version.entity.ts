import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Version `version` of `subject` is schema `schemaId`; soft-deleted versions keep their row. */
@Entity({ name: 'subject_versions' })
export class SubjectVersionEntity {
  @PrimaryColumn({ type: 'text' })
  subject!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ name: 'schema_id', type: 'integer' })
  schemaId!: number;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
