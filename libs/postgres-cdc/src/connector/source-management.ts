import {
  type Connector,
  type ConnectorOffsets,
  type ConnectorState,
  type ConnectorStatus,
} from '@sluice/management';
import { type PostgresSource } from '../source/postgres-source';
import { type SourcePhase } from '../source/source-status';

const STATES: Record<SourcePhase, ConnectorState> = {
  starting: 'STARTING',
  snapshotting: 'RUNNING',
  streaming: 'RUNNING',
  paused: 'PAUSED',
  // Waiting to reconnect after a dependency failed: still running, lastError says why.
  retrying: 'RUNNING',
  stopped: 'STOPPED',
  failed: 'FAILED',
};

/**
 * The Postgres source as the management API's connector (named after its topic prefix): pause and
 * resume stop and restart reading the slot, restart stops the capture (confirming what Kafka
 * acknowledged) and starts it again, offsets are the slot's positions and any snapshot's progress.
 */
export class SourceConnector implements Connector {
  readonly type = 'source';

  constructor(private readonly source: PostgresSource) {}

  get name(): string {
    return this.source.status().name;
  }

  status(): ConnectorStatus {
    const status = this.source.status();
    const running = status.phase !== 'stopped' && status.phase !== 'failed';
    return {
      state: running && this.source.isPaused ? 'PAUSED' : STATES[status.phase],
      partitions: [],
      ...(status.lastError !== undefined ? { lastError: status.lastError.message } : {}),
    };
  }

  pause(): void {
    this.source.pause();
  }

  resume(): void {
    this.source.resume();
  }

  restart(): Promise<void> {
    return this.source.restart();
  }

  offsets(): ConnectorOffsets {
    const s = this.source.status();
    return {
      source: {
        slot: s.slot,
        publication: s.publication,
        ...(s.confirmedLsn !== undefined ? { confirmedLsn: s.confirmedLsn } : {}),
        ...(s.currentLsn !== undefined ? { currentLsn: s.currentLsn } : {}),
        ...(s.lagBytes !== undefined ? { lagBytes: s.lagBytes } : {}),
        ...(s.snapshot !== undefined
          ? {
              snapshot: {
                kind: s.snapshot.kind,
                rowsDone: s.snapshot.rowsDone,
                rowsTotal: s.snapshot.rowsTotal,
              },
            }
          : {}),
      },
    };
  }
}
