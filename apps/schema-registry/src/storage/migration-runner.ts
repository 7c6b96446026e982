import { type DataSource } from 'typeorm';

/** Any constant shared by all replicas: the advisory lock that lets one replica migrate at a time. */
const MIGRATION_LOCK_KEY = 0x5_1c_e5_7e;

/**
 * Runs pending migrations in one transaction while holding a Postgres advisory lock, so replicas
 * starting together neither race on the migrations table nor see a half-built schema.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lockHolder.release();
  }
}
