import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './http/health.controller';
import { SinkHttpController } from './http/sink-http.controller';
import { HTTP_SINK } from './http/tokens';
import { type HttpSink } from './processing/http-sink';

/** The HTTP shell around a running sink: status and probes. */
@Module({})
export class SinkHttpModule {
  static forSink(sink: HttpSink): DynamicModule {
    return {
      module: SinkHttpModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [SinkHttpController, HealthController],
      providers: [{ provide: HTTP_SINK, useValue: sink }],
    };
  }
}
