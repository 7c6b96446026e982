import { type StackLayout } from './stack-layout';
import { type PartStatus, type StackPart, type StartOutcome } from './stack-part';
import { KafkaPart } from './parts/kafka-part';
import { PostgresPart } from './parts/postgres-part';
import { RegistryPart } from './parts/registry-part';
import { JaegerPart } from './parts/jaeger-part';
import { PrometheusPart } from './parts/prometheus-part';

export type PartName = 'kafka' | 'postgres' | 'registry' | 'jaeger' | 'prometheus';
/** What Sluice needs to run. */
export const CORE_PARTS: readonly PartName[] = ['postgres', 'kafka', 'registry'];
/** What watches it (`--no-observability` leaves them out); the stack goes on without them. */
export const OBSERVABILITY_PARTS: readonly PartName[] = ['jaeger', 'prometheus'];
export const PART_NAMES: readonly PartName[] = [...CORE_PARTS, ...OBSERVABILITY_PARTS];
/**
 * What a part needs running before it starts: the registry keeps its schemas in Postgres. One level
 * deep (a needed part needs nothing itself).
 */
const NEEDS: Partial<Record<PartName, readonly PartName[]>> = { registry: ['postgres'] };

/** The parts an `up` started (not those it found running), in stack order. */
export function startedParts(outcomes: Readonly<Record<string, StartOutcome>>): PartName[] {
  return PART_NAMES.filter((name) => outcomes[name] === 'started');
}

export interface StackEvents {
  /** Progress lines for a person ("fetching Apache Kafka ..."). */
  log?: (line: string) => void;
  /** Called as each part has started or was found running. */
  onPart?: (name: PartName, outcome: StartOutcome, address: string) => void;
}

/**
 * The local stack: Postgres, Kafka and the schema registry on one machine, without Docker, and
 * Jaeger and Prometheus watching the apps.
 * `up` is idempotent and starts parts in dependency order (Postgres and Kafka together, then the
 * registry, which stores its schemas in Postgres); `down` stops only what this stack started.
 */
export class LocalStack {
  readonly parts: Record<PartName, StackPart & { purge?: () => void }>;

  constructor(
    readonly layout: StackLayout,
    private readonly events: StackEvents = {},
  ) {
    const log = events.log ?? (() => undefined);
    this.parts = {
      postgres: new PostgresPart(layout, log),
      kafka: new KafkaPart(layout, log),
      registry: new RegistryPart(layout),
      jaeger: new JaegerPart(layout, log),
      prometheus: new PrometheusPart(layout, log),
    };
  }

  /**
   * Starts the named parts (all by default) and what they need (NEEDS: asking for the registry
   * starts Postgres too), parts without needs together, then the others. Returns what each part it
   * started or found did.
   */
  async up(asked: readonly PartName[] = PART_NAMES): Promise<Record<string, StartOutcome>> {
    const names = PART_NAMES.filter(
      (name) => asked.includes(name) || asked.some((a) => NEEDS[a]?.includes(name)),
    );
    const outcomes: Record<string, StartOutcome> = {};
    const startOne = async (name: PartName) => {
      const part = this.parts[name];
      try {
        outcomes[name] = await part.start();
      } catch (error) {
        if (!OBSERVABILITY_PARTS.includes(name)) throw error;
        // Tracing and metrics are worth having, not worth refusing the stack for.
        outcomes[name] = 'unavailable';
        this.events.log?.(`${name} not started: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.events.onPart?.(name, outcomes[name], part.address);
    };
    try {
      const first = names.filter((n) => NEEDS[n] === undefined);
      const results = await Promise.allSettled(first.map(startOne));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const name of names.filter((n) => NEEDS[n] !== undefined)) await startOne(name);
    } catch (err) {
      // Leave nothing half up: stop what this call started, then report the failure.
      await this.down(startedParts(outcomes)).catch(() => undefined);
      throw err;
    }
    return outcomes;
  }

  /** Stops the named parts (all by default) in reverse order; returns the names it stopped. */
  async down(
    names: readonly PartName[] = PART_NAMES,
    options: { purge?: boolean } = {},
  ): Promise<PartName[]> {
    const stopped: PartName[] = [];
    for (const name of [...PART_NAMES].reverse()) {
      if (!names.includes(name)) continue;
      if (await this.parts[name].stop()) stopped.push(name);
      if (options.purge) this.parts[name].purge?.();
    }
    return stopped;
  }

  async status(): Promise<PartStatus[]> {
    return Promise.all(PART_NAMES.map((name) => this.parts[name].status()));
  }
}
