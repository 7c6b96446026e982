import { Controller, Get, Inject } from '@nestjs/common';
import { type PostgresSink, type PostgresSinkStatus } from '@sluice/sink-postgres';
import { SINK } from './tokens';

/** What the sink is doing: phase, group, per-partition offsets and lag, row counters, last error. */
@Controller()
export class SinkPostgresController {
  constructor(@Inject(SINK) private readonly sink: PostgresSink) {}

  @Get('status')
  status(): PostgresSinkStatus {
    return this.sink.status();
  }
}
