import { BehaviorSubject, type Observable } from 'rxjs';
import { type Logger } from '@sluice/observability';
import { pipelineMap, type PipelineMap } from '../map/pipeline-map';
import { type FleetReader, type FleetReading } from './fleet-reader';

/** What each browser gets pushed (SSE `fleet` events) at each read. */
export interface FleetUpdate {
  readonly reading: FleetReading;
  readonly map: PipelineMap;
}

/**
 * Reads the fleet every `refreshMs` while started and hands each reading (with its map) to every
 * subscriber; a new subscriber gets the last one at once. One read at a time: a slow app delays the
 * next read, never stacks them.
 */
export class FleetFeed {
  private readonly updates = new BehaviorSubject<FleetUpdate | undefined>(undefined);
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly reader: FleetReader,
    private readonly refreshMs: number,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  get stream(): Observable<FleetUpdate | undefined> {
    return this.updates;
  }

  /** Reads now (after an action, so browsers see its effect without waiting a period). */
  async refresh(): Promise<FleetUpdate> {
    const reading = await this.reader.read();
    const update = { reading, map: pipelineMap(reading) };
    this.updates.next(update);
    return update;
  }

  latest(): FleetUpdate | undefined {
    return this.updates.value;
  }

  start(): void {
    this.running = true;
    const tick = async () => {
      try {
        await this.refresh();
      } catch (error) {
        this.logger.warn({ err: error }, 'reading the apps failed');
      }
      if (this.running) this.timer = setTimeout(() => void tick(), this.refreshMs);
    };
    void tick();
  }

  stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.updates.complete();
    return Promise.resolve();
  }
}
