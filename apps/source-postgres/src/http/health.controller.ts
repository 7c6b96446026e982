import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { type PostgresSource, type SourcePhase } from '@sluice/postgres-cdc';
import { POSTGRES_SOURCE } from './tokens';

/** Phases in which the source does its job (paused is an operator's choice, still healthy). */
const READY_PHASES: ReadonlySet<SourcePhase> = new Set(['snapshotting', 'streaming', 'paused']);

/**
 * Kubernetes probes. Live: the process answers and the source has not failed for good (a restart
 * may help then). Ready: it snapshots or streams. While it retries a lost dependency it stays live
 * but not ready, so Kubernetes does not restart it into a crash loop.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(POSTGRES_SOURCE) private readonly source: PostgresSource,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.phase((phase) => phase !== 'failed')]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.phase((phase) => READY_PHASES.has(phase))]);
  }

  private phase(healthy: (phase: SourcePhase) => boolean): HealthIndicatorResult {
    const { phase, lastError } = this.source.status();
    const session = this.indicators.check('source');
    return healthy(phase) ? session.up({ phase }) : session.down({ phase, error: lastError?.message });
  }
}
