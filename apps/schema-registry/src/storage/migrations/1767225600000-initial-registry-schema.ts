import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Schemas with global ids, subjects with their version counter, versions, compatibility configs. */
export class InitialRegistrySchema1767225600000 implements MigrationInterface {
  name = 'InitialRegistrySchema1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE schemas (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        schema_type text NOT NULL,
        schema text NOT NULL,
        canonical_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT schemas_canonical_hash_key UNIQUE (canonical_hash)
      )`);
    await queryRunner.query(`
      CREATE TABLE subjects (
        name text PRIMARY KEY,
        last_version integer NOT NULL DEFAULT 0 CHECK (last_version >= 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE subject_versions (
        subject text NOT NULL REFERENCES subjects (name),
        version integer NOT NULL CHECK (version >= 1),
        schema_id integer NOT NULL REFERENCES schemas (id),
        deleted boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject, version)
      )`);
    // one live version per (subject, schema): re-registering returns the existing version
    await queryRunner.query(`
      CREATE UNIQUE INDEX subject_versions_live_schema_key
        ON subject_versions (subject, schema_id) WHERE NOT deleted`);
    await queryRunner.query(`CREATE INDEX subject_versions_schema_id_idx ON subject_versions (schema_id)`);
    await queryRunner.query(`
      CREATE TABLE compatibility_configs (
        scope text PRIMARY KEY,
        level text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE compatibility_configs');
    await queryRunner.query('DROP TABLE subject_versions');
    await queryRunner.query('DROP TABLE subjects');
    await queryRunner.query('DROP TABLE schemas');
  }
}
