import { type DynamicModule, Module } from '@nestjs/common';
import { type HealthProbes, HealthModule, MetricsModule } from '@sluice/observability';
import { TRANSFORMER } from './http/tokens';
import { TransformerController } from './http/transformer.controller';
import { type Transformer } from './processing/transformer';

/** The HTTP shell around a running transformer: status, probes and metrics. */
@Module({})
export class TransformerModule {
  static forTransformer(transformer: Transformer, probes: HealthProbes): DynamicModule {
    return {
      module: TransformerModule,
      imports: [HealthModule.forProbes(probes), MetricsModule],
      controllers: [TransformerController],
      providers: [{ provide: TRANSFORMER, useValue: transformer }],
    };
  }
}
