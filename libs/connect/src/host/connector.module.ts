import { type DynamicModule, Module } from '@nestjs/common';
import { ManagementModule, type ManagementOptions } from '@sluice/management';
import { HealthModule, MetricsModule } from '@sluice/observability';
import { type RunningConnector } from '../definition/connector-definition';
import { ConnectorStatusController, RUNNING_CONNECTOR } from './connector-status.controller';

/**
 * The HTTP shell around a running connector: /status, the management API, /health, /metrics and
 * the connector's own endpoints.
 */
@Module({})
export class ConnectorModule {
  static forConnector(connector: RunningConnector, management: ManagementOptions): DynamicModule {
    return {
      module: ConnectorModule,
      imports: [
        HealthModule.forProbes(connector.probes),
        MetricsModule,
        ManagementModule.forConnectors([...connector.management], management),
        ...(connector.imports ?? []),
      ],
      controllers: [ConnectorStatusController, ...(connector.http?.controllers ?? [])],
      providers: [{ provide: RUNNING_CONNECTOR, useValue: connector }, ...(connector.http?.providers ?? [])],
    };
  }
}
