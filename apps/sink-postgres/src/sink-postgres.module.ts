import { type DynamicModule, Module } from '@nestjs/common';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { type PostgresSink } from '@sluice/sink-postgres';
import { SinkPostgresController } from './http/sink-postgres.controller';
import { SINK } from './http/tokens';

/** The HTTP shell around a running sink: status, probes and metrics. */
@Module({})
export class SinkPostgresModule {
  static forSink(sink: PostgresSink, probes: HealthProbes): DynamicModule {
    return {
      module: SinkPostgresModule,
      imports: [HealthModule.forProbes(probes), MetricsModule],
      controllers: [SinkPostgresController],
      providers: [{ provide: SINK, useValue: sink }],
    };
  }
}
