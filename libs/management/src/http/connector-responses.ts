import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONNECTOR_STATES, type ConnectorState, type ConnectorType } from '../connector/connector';

// The management API's response bodies as classes, so that the OpenAPI document at /docs describes
// what the controller really returns (the controller builds these shapes from the Connector).

const CONNECTOR_TYPES = ['source', 'transform', 'sink'];

export class ConnectorSummaryResponse {
  @ApiProperty({ example: 'orders-pipeline' })
  name!: string;
  @ApiProperty({ enum: CONNECTOR_TYPES })
  type!: ConnectorType;
  @ApiProperty({ enum: CONNECTOR_STATES })
  state!: ConnectorState;
}

export class AssignedPartitionResponse {
  @ApiProperty()
  topic!: string;
  @ApiProperty()
  partition!: number;
}

export class ConnectorStatusResponse {
  @ApiProperty()
  name!: string;
  @ApiProperty({ enum: CONNECTOR_TYPES })
  type!: ConnectorType;
  @ApiProperty({ enum: CONNECTOR_STATES })
  state!: ConnectorState;
  @ApiProperty({
    description: 'The process serving this API: host name and process id.',
    example: 'sink-7f9c:1',
  })
  workerId!: string;
  @ApiProperty({ type: [AssignedPartitionResponse], description: 'Partitions consumed by this worker.' })
  partitions!: AssignedPartitionResponse[];
  @ApiPropertyOptional({ description: 'Why the connector is FAILED.' })
  lastError?: string;
}

export class PartitionOffsetResponse {
  @ApiProperty()
  topic!: string;
  @ApiProperty()
  partition!: number;
  @ApiPropertyOptional({
    description: 'Next offset to consume as committed by the group (decimal string).',
    example: '1200',
  })
  committedOffset?: string;
  @ApiPropertyOptional({
    description:
      "The partition's end offset (high watermark) as last fetched; read from the brokers while paused.",
    example: '1250',
  })
  endOffset?: string;
  @ApiPropertyOptional({ description: 'End offset minus committed offset.', example: '50' })
  lag?: string;
}

export class SnapshotPositionResponse {
  @ApiProperty({ enum: ['initial', 'incremental'] })
  kind!: 'initial' | 'incremental';
  @ApiProperty()
  rowsDone!: number;
  @ApiProperty()
  rowsTotal!: number;
}

export class SourcePositionResponse {
  @ApiProperty()
  slot!: string;
  @ApiProperty()
  publication!: string;
  @ApiPropertyOptional({ description: "The slot's confirmed position (X/Y).", example: '0/1A2B3C8' })
  confirmedLsn?: string;
  @ApiPropertyOptional({ description: 'The last position read from the slot (X/Y).' })
  currentLsn?: string;
  @ApiPropertyOptional({ description: 'WAL the slot retains behind the server, bytes.' })
  lagBytes?: number;
  @ApiPropertyOptional({ type: SnapshotPositionResponse })
  snapshot?: SnapshotPositionResponse;
}

export class ConnectorOffsetsResponse {
  @ApiProperty()
  name!: string;
  @ApiProperty({ enum: CONNECTOR_TYPES })
  type!: ConnectorType;
  @ApiPropertyOptional({
    type: [PartitionOffsetResponse],
    description: 'Stream connectors (transform, sink): one entry per partition consumed here.',
  })
  partitions?: PartitionOffsetResponse[];
  @ApiPropertyOptional({ type: SourcePositionResponse, description: 'Source connectors: the slot position.' })
  source?: SourcePositionResponse;
}

export class ErrorResponse {
  @ApiProperty({ example: 404 })
  statusCode!: number;
  @ApiProperty({ example: 'Not Found' })
  error!: string;
  @ApiProperty({ example: 'Connector orders-pipeline not found' })
  message!: string;
}
