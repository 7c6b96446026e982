import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { type PostgresSource } from '@sluice/postgres-cdc';
import { HealthController } from './http/health.controller';
import { SourceController } from './http/source.controller';
import { POSTGRES_SOURCE } from './http/tokens';

/** The HTTP shell around a running source: management API and probes. */
@Module({})
export class SourceModule {
  static forSource(source: PostgresSource): DynamicModule {
    return {
      module: SourceModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [SourceController, HealthController],
      providers: [{ provide: POSTGRES_SOURCE, useValue: source }],
    };
  }
}
