import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A compatibility level set through `PUT /config` (scope '') or `PUT /config/{subject}`. */
@Entity({ name: 'compatibility_configs' })
export class CompatibilityConfigEntity {
  /** The subject name, or '' for the global level. */
  @PrimaryColumn({ type: 'text' })
  scope!: string;

  @Column({ type: 'text' })
  level!: string;
}
