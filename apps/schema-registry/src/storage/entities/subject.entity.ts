import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A subject and the last version number it handed out. The row outlives permanent deletes, so a
 * version number is never reused; it is also the lock that serializes registrations per subject.
 */
@Entity({ name: 'subjects' })
export class SubjectEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ name: 'last_version', type: 'integer', default: 0 })
  lastVersion!: number;
}
