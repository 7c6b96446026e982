import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerTokenGuard } from '@sluice/management';
import { HealthModule, type HealthProbes, MetricsModule } from '@sluice/observability';
import { ConsoleController } from './console.controller';
import { CONSOLE_SERVICES, type ConsoleServices } from './console-services';

/**
 * The console's HTTP shell: its API and front end, /health, /metrics, and the bearer-token guard
 * over every mutating call, as every Sluice app has it (docs/management-api.md).
 */
@Module({})
export class ConsoleModule {
  static forServices(
    services: ConsoleServices,
    probes: HealthProbes,
    token: string | undefined,
  ): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [HealthModule.forProbes(probes), MetricsModule],
      controllers: [ConsoleController],
      providers: [
        { provide: CONSOLE_SERVICES, useValue: services },
        { provide: APP_GUARD, useValue: new BearerTokenGuard(token) },
      ],
    };
  }
}
