import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { type PostgresTlsOptions } from '@sluice/config';
import { type RegistryConfig } from '../config/registry-config';
import { CompatibilityConfigEntity, SchemaEntity, SubjectEntity, SubjectVersionEntity } from './entities';
import { runMigrationsExclusively } from './migration-runner';
import { REGISTRY_MIGRATIONS } from './migrations';
import { RegistryStore } from './registry-store';

/** TypeORM's options for the registry's database; `ssl` is `database.ssl` with its files read. */
export function dataSourceOptions(
  database: RegistryConfig['database'],
  ssl: PostgresTlsOptions | false = false,
): DataSourceOptions {
  return {
    type: 'postgres',
    host: database.host,
    port: database.port,
    username: database.user,
    password: database.password,
    database: database.database,
    ssl: ssl ? { ...ssl } : false,
    entities: [SchemaEntity, SubjectEntity, SubjectVersionEntity, CompatibilityConfigEntity],
    migrations: REGISTRY_MIGRATIONS,
    migrationsTableName: 'registry_migrations',
    synchronize: false,
    migrationsRun: false,
    // failed queries reach the exception filter; expected conflicts (retried) are not worth a log line
    logging: false,
    poolSize: database.poolSize,
    connectTimeoutMS: database.connectTimeoutMs,
    applicationName: 'sluice-schema-registry',
  };
}

/** The registry's Postgres: connection pool, migrations at start-up, the store. */
@Module({})
export class DatabaseModule {
  static forConfig(
    database: RegistryConfig['database'],
    ssl: PostgresTlsOptions | false = false,
  ): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(database, ssl), retryAttempts: 3, retryDelay: 1000 }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            try {
              await runMigrationsExclusively(dataSource);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      providers: [RegistryStore],
      exports: [RegistryStore],
    };
  }
}
