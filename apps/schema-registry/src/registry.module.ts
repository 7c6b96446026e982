import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MetricsModule } from '@sluice/observability';
import { type RegistryConfig } from './config/registry-config';
import { CompatibilityController } from './controllers/compatibility.controller';
import { ConfigController } from './controllers/config.controller';
import { HealthController } from './controllers/health.controller';
import { RootController } from './controllers/root.controller';
import { SchemasController } from './controllers/schemas.controller';
import { SubjectsController } from './controllers/subjects.controller';
import { CompatibilityCheckService } from './registry/compatibility-check.service';
import { CompatibilityConfigService, DEFAULT_COMPATIBILITY } from './registry/compatibility-config.service';
import { SchemasService } from './registry/schemas.service';
import { SubjectsService } from './registry/subjects.service';
import { type PostgresTlsOptions } from '@sluice/config';
import { DatabaseModule } from './storage/database.module';

/** The registry: Confluent's REST API over Postgres. */
@Module({})
export class RegistryModule {
  static forConfig(config: RegistryConfig, databaseTls: PostgresTlsOptions | false = false): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        DatabaseModule.forConfig(config.database, databaseTls),
        TerminusModule.forRoot({ logger: false }),
        MetricsModule,
      ],
      controllers: [
        RootController,
        SubjectsController,
        SchemasController,
        ConfigController,
        CompatibilityController,
        HealthController,
      ],
      providers: [
        { provide: DEFAULT_COMPATIBILITY, useValue: config.compatibility },
        CompatibilityConfigService,
        SchemasService,
        SubjectsService,
        CompatibilityCheckService,
      ],
    };
  }
}
