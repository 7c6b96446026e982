import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';
import { type HealthProbe, type HealthProbes } from './health-probe';

const HEALTH_PROBES = Symbol('sluice.observability.health-probes');

/**
 * Kubernetes probes, the same for every app: `/health/live` (restart me if down) and
 * `/health/ready` (send me work / count me in), each the conjunction of the app's probes.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_PROBES) private readonly probes: HealthProbes,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check(this.probes.live.map((probe) => () => this.run(probe)));
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.probes.ready.map((probe) => () => this.run(probe)));
  }

  private async run(probe: HealthProbe): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(probe.name);
    const result = await probe.check();
    return result.up ? session.up(result.details) : session.down(result.details);
  }
}

/** The app's health endpoints over its probes. */
@Module({})
export class HealthModule {
  static forProbes(probes: HealthProbes): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_PROBES, useValue: probes }],
    };
  }
}
