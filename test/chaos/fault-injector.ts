import { type FaultKind } from './chaos-options';
import { type AppName, APP_NAMES, type ChaosPipeline } from './chaos-pipeline';
import { type ChaosStack, FaultNotInjectedError, sleep } from './chaos-stack';
import { type PlannedFault } from './fault-plan';

/** The apps a fault of each kind hits, whose recovery is measured. */
export const AFFECTED: Record<FaultKind, readonly AppName[]> = {
  'kill-source': ['source-postgres'],
  'kill-transformer': ['transformer'],
  'kill-sink': ['sink-postgres'],
  'kill-broker': APP_NAMES,
  'restart-postgres': ['source-postgres', 'sink-postgres'],
  'drop-broker-connections': APP_NAMES,
  'drop-postgres-connections': ['source-postgres', 'sink-postgres'],
};

/** A fault as it happened. */
export interface InjectedFault extends PlannedFault {
  /** When it struck (epoch ms); undefined when it could not be injected. */
  readonly injectedAt: number | undefined;
  /** When what it broke was back (the process started again, the broker or Postgres answering). */
  readonly restoredAt: number | undefined;
  /** What it did, e.g. `pid 1234`, `17 connections cut`; or why it was not injected. */
  readonly detail: string;
  readonly injected: boolean;
}

const KILLED_APP: Partial<Record<FaultKind, AppName>> = {
  'kill-source': 'source-postgres',
  'kill-transformer': 'transformer',
  'kill-sink': 'sink-postgres',
};

/**
 * Injects one planned fault and undoes it as an operator (or Kubernetes) would: a killed app is
 * started again, a killed broker or a stopped Postgres brought back after its outage. `onStrike` is
 * called the moment the fault strikes, so recovery is measured from then.
 */
export async function injectFault(
  fault: PlannedFault,
  stack: ChaosStack,
  pipeline: ChaosPipeline,
  onStrike: (at: number) => void,
): Promise<InjectedFault> {
  let injectedAt: number | undefined;
  const strike = (at = Date.now()) => {
    injectedAt = at;
    onStrike(at);
  };
  try {
    const app = KILLED_APP[fault.kind];
    if (app !== undefined) {
      strike();
      const pid = await pipeline.apps[app].kill();
      await sleep(fault.outageMs);
      pipeline.apps[app].start();
      return done(`pid ${pid ?? '(was not running)'} killed, new pid ${pipeline.apps[app].pid}`);
    }
    switch (fault.kind) {
      case 'kill-broker': {
        strike();
        await stack.killBroker();
        await sleep(fault.outageMs);
        await stack.startBroker();
        return done(`broker down ${seconds(Date.now() - injectedAt!)} s`);
      }
      case 'restart-postgres': {
        strike();
        const how = await stack.restartPostgres(fault.outageMs);
        return done(`${how}, down ${seconds(Date.now() - injectedAt!)} s`);
      }
      case 'drop-broker-connections':
      case 'drop-postgres-connections': {
        const port =
          fault.kind === 'drop-broker-connections'
            ? stack.addresses.kafkaPort
            : stack.addresses.postgres.port;
        const at = Date.now();
        const cut = await stack.dropConnections(port);
        strike(at);
        return done(`${cut} connection${cut === 1 ? '' : 's'} to :${port} cut`);
      }
      default:
        throw new Error(`no injector for ${fault.kind}`);
    }
  } catch (error) {
    if (error instanceof FaultNotInjectedError)
      return {
        ...fault,
        injectedAt: undefined,
        restoredAt: undefined,
        detail: error.message,
        injected: false,
      };
    throw error;
  }

  function done(detail: string): InjectedFault {
    return { ...fault, injectedAt, restoredAt: Date.now(), detail, injected: true };
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
