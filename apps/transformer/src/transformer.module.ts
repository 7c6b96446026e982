import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './http/health.controller';
import { TRANSFORMER } from './http/tokens';
import { TransformerController } from './http/transformer.controller';
import { type Transformer } from './processing/transformer';

/** The HTTP shell around a running transformer: status and probes. */
@Module({})
export class TransformerModule {
  static forTransformer(transformer: Transformer): DynamicModule {
    return {
      module: TransformerModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [TransformerController, HealthController],
      providers: [{ provide: TRANSFORMER, useValue: transformer }],
    };
  }
}
