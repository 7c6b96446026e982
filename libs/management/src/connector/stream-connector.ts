import { type RuntimeSupervisor } from '@sluice/stream';
import {
  type Connector,
  type ConnectorOffsets,
  type ConnectorState,
  type ConnectorStatus,
  type ConnectorType,
} from './connector';

/**
 * The connector of an app on a StreamRuntime (transformer, sinks), over its RuntimeSupervisor:
 * pause stops fetching on every assigned and later-assigned partition while the member stays in
 * its group, restart drains, commits and starts a new runtime, offsets come from
 * `partitionProgress()`.
 */
export class StreamConnector implements Connector {
  constructor(
    readonly name: string,
    readonly type: Exclude<ConnectorType, 'source'>,
    private readonly supervisor: RuntimeSupervisor<unknown>,
    /** Replaces the offsets read from the runtime (a sink that keeps its offsets in its target). */
    private readonly readOffsets?: () => ConnectorOffsets,
  ) {}

  status(): ConnectorStatus {
    const { supervisor } = this;
    const error =
      supervisor.phase === 'failed' || supervisor.phase === 'retrying' ? supervisor.lastError : undefined;
    return {
      state: this.state(),
      partitions: supervisor.assignedPartitions(),
      ...(error !== undefined ? { lastError: error instanceof Error ? error.message : String(error) } : {}),
    };
  }

  pause(): void {
    this.supervisor.pause();
  }

  resume(): void {
    this.supervisor.resume();
  }

  restart(): Promise<void> {
    return this.supervisor.restart();
  }

  offsets(): ConnectorOffsets {
    if (this.readOffsets) return this.readOffsets();
    return {
      partitions: this.supervisor.partitionProgress().map((p) => ({
        topic: p.topic,
        partition: p.partition,
        ...(p.committedOffset !== undefined ? { committedOffset: String(p.committedOffset) } : {}),
        ...(p.highWatermark !== undefined ? { endOffset: String(p.highWatermark) } : {}),
        ...(p.lag !== undefined ? { lag: String(p.lag) } : {}),
      })),
    };
  }

  private state(): ConnectorState {
    switch (this.supervisor.phase) {
      case 'starting':
        return 'STARTING';
      // Waiting out a failure or a missing input topic counts as running, as the source's does:
      // lastError says why.
      case 'retrying':
      case 'running':
        return this.supervisor.paused ? 'PAUSED' : 'RUNNING';
      case 'failed':
        return 'FAILED';
      default:
        return 'STOPPED';
    }
  }
}
