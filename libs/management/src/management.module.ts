import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConfigError } from '@sluice/errors';
import { type Connector } from './connector/connector';
import { BearerTokenGuard } from './http/bearer-token.guard';
import { ManagementController } from './http/management.controller';
import { CONNECTORS } from './http/tokens';

export interface ManagementOptions {
  /** `http.token`: required on every mutating call of the app when set (docs/management-api.md). */
  readonly token?: string;
}

/**
 * The management API (`/connectors/...`, Kafka Connect's REST API) of an app's connectors, and the
 * bearer-token guard over every mutating route of the app (its own POSTs included).
 */
@Module({})
export class ManagementModule {
  static forConnectors(connectors: readonly Connector[], options: ManagementOptions): DynamicModule {
    const byName = new Map<string, Connector>();
    for (const connector of connectors) {
      if (byName.has(connector.name))
        throw new ConfigError(`Two connectors of the management API are named ${connector.name}`);
      byName.set(connector.name, connector);
    }
    return {
      module: ManagementModule,
      controllers: [ManagementController],
      providers: [
        { provide: CONNECTORS, useValue: byName },
        { provide: APP_GUARD, useValue: new BearerTokenGuard(options.token) },
      ],
    };
  }
}
