import { type DynamicModule, Module } from '@nestjs/common';
import { ManagementModule, type ManagementOptions, StreamConnector } from '@sluice/management';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { TRANSFORMER } from './http/tokens';
import { TransformerController } from './http/transformer.controller';
import { type Transformer } from './processing/transformer';

/** The HTTP shell around a running transformer: status, management API (one connector: the pipeline), probes, metrics. */
@Module({})
export class TransformerModule {
  static forTransformer(
    transformer: Transformer,
    probes: HealthProbes,
    management: ManagementOptions,
  ): DynamicModule {
    const connector = new StreamConnector(transformer.pipeline.config.name, 'transform', transformer.runtime);
    return {
      module: TransformerModule,
      imports: [
        HealthModule.forProbes(probes),
        MetricsModule,
        ManagementModule.forConnectors([connector], management),
      ],
      controllers: [TransformerController],
      providers: [{ provide: TRANSFORMER, useValue: transformer }],
    };
  }
}
