import { type DynamicModule, Module } from '@nestjs/common';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { type PostgresSource } from '@sluice/postgres-cdc';
import { SourceController } from './http/source.controller';
import { POSTGRES_SOURCE } from './http/tokens';

/** The HTTP shell around a running source: management API, probes and metrics. */
@Module({})
export class SourceModule {
  static forSource(source: PostgresSource, probes: HealthProbes): DynamicModule {
    return {
      module: SourceModule,
      imports: [HealthModule.forProbes(probes), MetricsModule],
      controllers: [SourceController],
      providers: [{ provide: POSTGRES_SOURCE, useValue: source }],
    };
  }
}
