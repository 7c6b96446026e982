import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { type Transformer, type TransformerPhase } from '../processing/transformer';
import { TRANSFORMER } from './tokens';

/**
 * Kubernetes probes. Live: the runtime has not stopped on a failure (then a restart resumes from
 * the last commit). Ready: it consumes.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(TRANSFORMER) private readonly transformer: Transformer,
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

  private phase(healthy: (phase: TransformerPhase) => boolean): HealthIndicatorResult {
    const { phase, lastError } = this.transformer.status();
    const session = this.indicators.check('transformer');
    return healthy(phase) ? session.up({ phase }) : session.down({ phase, error: lastError });
  }
}
