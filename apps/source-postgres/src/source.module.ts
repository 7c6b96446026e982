import { type DynamicModule, Module } from '@nestjs/common';
import { ManagementModule, type ManagementOptions } from '@sluice/management';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { type PostgresSource } from '@sluice/postgres-cdc';
import { SourceConnector } from './http/source-connector';
import { SourceController } from './http/source.controller';
import { POSTGRES_SOURCE } from './http/tokens';

/** The HTTP shell around a running source: its own API, the management API (one connector), probes, metrics. */
@Module({})
export class SourceModule {
  static forSource(
    source: PostgresSource,
    probes: HealthProbes,
    management: ManagementOptions,
  ): DynamicModule {
    return {
      module: SourceModule,
      imports: [
        HealthModule.forProbes(probes),
        MetricsModule,
        ManagementModule.forConnectors([new SourceConnector(source)], management),
      ],
      controllers: [SourceController],
      providers: [{ provide: POSTGRES_SOURCE, useValue: source }],
    };
  }
}
