import { type DynamicModule, Module } from '@nestjs/common';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { SinkHttpController } from './http/sink-http.controller';
import { HTTP_SINK } from './http/tokens';
import { type HttpSink } from './processing/http-sink';

/** The HTTP shell around a running sink: status, probes and metrics. */
@Module({})
export class SinkHttpModule {
  static forSink(sink: HttpSink, probes: HealthProbes): DynamicModule {
    return {
      module: SinkHttpModule,
      imports: [HealthModule.forProbes(probes), MetricsModule],
      controllers: [SinkHttpController],
      providers: [{ provide: HTTP_SINK, useValue: sink }],
    };
  }
}
