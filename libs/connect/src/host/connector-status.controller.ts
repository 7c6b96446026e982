import { Controller, Get, Inject } from '@nestjs/common';
import { type RunningConnector } from '../definition/connector-definition';

/** Injects the RunningConnector an app serves. */
export const RUNNING_CONNECTOR = Symbol('sluice.running-connector');

/** GET /status: what the connector is doing (phase, positions, counters, last error). */
@Controller()
export class ConnectorStatusController {
  constructor(@Inject(RUNNING_CONNECTOR) private readonly connector: RunningConnector) {}

  @Get('status')
  status(): object {
    return this.connector.status();
  }
}
