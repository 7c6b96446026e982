import { type DynamicModule, Module } from '@nestjs/common';
import { ManagementModule, type ManagementOptions, StreamConnector } from '@sluice/management';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { SinkHttpController } from './http/sink-http.controller';
import { HTTP_SINK } from './http/tokens';
import { type HttpSink } from './processing/http-sink';

/** The HTTP shell around a running sink: status, management API (one connector: the group), probes, metrics. */
@Module({})
export class SinkHttpModule {
  static forSink(sink: HttpSink, probes: HealthProbes, management: ManagementOptions): DynamicModule {
    return {
      module: SinkHttpModule,
      imports: [
        HealthModule.forProbes(probes),
        MetricsModule,
        ManagementModule.forConnectors([new StreamConnector(sink.group, 'sink', sink.runtime)], management),
      ],
      controllers: [SinkHttpController],
      providers: [{ provide: HTTP_SINK, useValue: sink }],
    };
  }
}
