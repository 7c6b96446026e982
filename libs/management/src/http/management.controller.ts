import { hostname } from 'node:os';
import {
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type Connector } from '../connector/connector';
import {
  type ConnectorAction,
  checkAction,
  ConnectorStateConflictError,
} from '../connector/connector-action';
import {
  ConnectorOffsetsResponse,
  ConnectorStatusResponse,
  ConnectorSummaryResponse,
  ErrorResponse,
} from './connector-responses';
import { CONNECTORS } from './tokens';

const WORKER_ID = `${hostname()}:${process.pid}`;

/** Kafka Connect's REST API, for the connectors of this process. */
@ApiTags('connectors')
@Controller('connectors')
export class ManagementController {
  constructor(@Inject(CONNECTORS) private readonly connectors: ReadonlyMap<string, Connector>) {}

  @Get()
  @ApiOperation({ summary: "This process's connectors with their state" })
  @ApiOkResponse({ type: [ConnectorSummaryResponse] })
  list(): ConnectorSummaryResponse[] {
    return [...this.connectors.values()].map((c) => ({
      name: c.name,
      type: c.type,
      state: c.status().state,
    }));
  }

  @Get(':name/status')
  @ApiOperation({ summary: "A connector's state, worker, partitions and last error" })
  @ApiOkResponse({ type: ConnectorStatusResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No connector of that name' })
  status(@Param('name') name: string): ConnectorStatusResponse {
    return statusOf(this.connector(name));
  }

  @Get(':name/offsets')
  @ApiOperation({ summary: 'Committed and end offsets with lag per partition, or the source slot position' })
  @ApiOkResponse({ type: ConnectorOffsetsResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No connector of that name' })
  offsets(@Param('name') name: string): ConnectorOffsetsResponse {
    const connector = this.connector(name);
    const offsets = connector.offsets();
    const { type } = connector;
    return 'partitions' in offsets
      ? { name, type, partitions: [...offsets.partitions] }
      : { name, type, source: offsets.source };
  }

  @Post(':name/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stops the flow, keeping the position (and the consumer group membership)' })
  @ActionResponses()
  pause(@Param('name') name: string): Promise<ConnectorStatusResponse> {
    return this.act(name, 'pause', (c) => c.pause());
  }

  @Post(':name/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lets a paused connector flow again from where it stopped' })
  @ActionResponses()
  resume(@Param('name') name: string): Promise<ConnectorStatusResponse> {
    return this.act(name, 'resume', (c) => c.resume());
  }

  @Post(':name/restart')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stops the work (drain and commit) and starts it again; answers once started' })
  @ActionResponses()
  restart(@Param('name') name: string): Promise<ConnectorStatusResponse> {
    return this.act(name, 'restart', (c) => c.restart());
  }

  private connector(name: string): Connector {
    const connector = this.connectors.get(name);
    if (!connector) throw new NotFoundException(`Connector ${name} not found`);
    return connector;
  }

  private async act(
    name: string,
    action: ConnectorAction,
    run: (connector: Connector) => Promise<void> | void,
  ): Promise<ConnectorStatusResponse> {
    const connector = this.connector(name);
    try {
      checkAction(connector.name, action, connector.status().state);
    } catch (error) {
      if (error instanceof ConnectorStateConflictError) throw new ConflictException(error.message);
      throw error;
    }
    await run(connector);
    return statusOf(connector);
  }
}

function statusOf(connector: Connector): ConnectorStatusResponse {
  const { state, partitions, lastError } = connector.status();
  return {
    name: connector.name,
    type: connector.type,
    state,
    workerId: WORKER_ID,
    partitions: [...partitions],
    ...(lastError !== undefined ? { lastError } : {}),
  };
}

/** What every POST answers, for the OpenAPI document. */
function ActionResponses(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const decorate of [
      ApiBearerAuth(),
      ApiOkResponse({ type: ConnectorStatusResponse, description: 'Done; the status after the action' }),
      ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Token configured and missing or wrong' }),
      ApiNotFoundResponse({ type: ErrorResponse, description: 'No connector of that name' }),
      ApiConflictResponse({
        type: ErrorResponse,
        description: "The action does not apply in the connector's state",
      }),
    ])
      decorate(target, key, descriptor);
  };
}
