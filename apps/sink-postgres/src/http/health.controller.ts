import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { type PostgresSink, type SinkPhase } from '@sluice/sink-postgres';
import { SINK } from './tokens';

/**
 * Kubernetes probes. Live: the runtime has not stopped on a failure (a restart resumes from the
 * offsets stored in the target). Ready: it consumes.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(SINK) private readonly sink: PostgresSink,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.phase((phase) => phase !== 'failed')]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.phase((phase) => phase === 'running')]);
  }

  private phase(healthy: (phase: SinkPhase) => boolean): HealthIndicatorResult {
    const { phase, lastError } = this.sink.status();
    const session = this.indicators.check('sink-postgres');
    return healthy(phase) ? session.up({ phase }) : session.down({ phase, error: lastError });
  }
}
