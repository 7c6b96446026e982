import { type DynamicModule, Module } from '@nestjs/common';
import { ManagementModule, type ManagementOptions, StreamConnector } from '@sluice/management';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { type PostgresSink } from '@sluice/sink-postgres';
import { SinkPostgresController } from './http/sink-postgres.controller';
import { SINK } from './http/tokens';

/** The HTTP shell around a running sink: status, management API (one connector: the group), probes, metrics. */
@Module({})
export class SinkPostgresModule {
  static forSink(sink: PostgresSink, probes: HealthProbes, management: ManagementOptions): DynamicModule {
    // Offsets as /status shows them: before its first commit here, a partition stands where the
    // target's offsets table says.
    const connector = new StreamConnector(sink.status().group, 'sink', sink.runtime, () => ({
      partitions: sink
        .status()
        .partitions.map(({ topic, partition, committedOffset, highWatermark, lag }) => ({
          topic,
          partition,
          ...(committedOffset !== undefined ? { committedOffset } : {}),
          ...(highWatermark !== undefined ? { endOffset: highWatermark } : {}),
          ...(lag !== undefined ? { lag } : {}),
        })),
    }));
    return {
      module: SinkPostgresModule,
      imports: [
        HealthModule.forProbes(probes),
        MetricsModule,
        ManagementModule.forConnectors([connector], management),
      ],
      controllers: [SinkPostgresController],
      providers: [{ provide: SINK, useValue: sink }],
    };
  }
}
