import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { type HttpSink, type SinkHttpPhase } from '../processing/http-sink';
import { HTTP_SINK } from './tokens';

/**
 * Kubernetes probes. Live: the runtime has not stopped on a failure (then a restart resumes from
 * the last commit). Ready: it consumes. An open circuit is not unhealthy: the sink itself is fine
 * and restarting it would not help the endpoint.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(HTTP_SINK) private readonly sink: HttpSink,
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

  private phase(healthy: (phase: SinkHttpPhase) => boolean): HealthIndicatorResult {
    const { phase, lastError } = this.sink.status();
    const session = this.indicators.check('sink-http');
    return healthy(phase) ? session.up({ phase }) : session.down({ phase, error: lastError });
  }
}
