import { Controller, Get, Inject } from '@nestjs/common';
import { type HttpSink, type SinkHttpStatus } from '../processing/http-sink';
import { HTTP_SINK } from './tokens';

/** What the sink is doing: group, partitions with lag, record counters, each destination's circuit and counters. */
@Controller()
export class SinkHttpController {
  constructor(@Inject(HTTP_SINK) private readonly sink: HttpSink) {}

  @Get('status')
  status(): SinkHttpStatus {
    return this.sink.status();
  }
}
