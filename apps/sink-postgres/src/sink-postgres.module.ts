import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { type PostgresSink } from '@sluice/sink-postgres';
import { HealthController } from './http/health.controller';
import { SinkPostgresController } from './http/sink-postgres.controller';
import { SINK } from './http/tokens';

/** The HTTP shell around a running sink: status and probes. */
@Module({})
export class SinkPostgresModule {
  static forSink(sink: PostgresSink): DynamicModule {
    return {
      module: SinkPostgresModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [SinkPostgresController, HealthController],
      providers: [{ provide: SINK, useValue: sink }],
    };
  }
}
