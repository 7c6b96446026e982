import { redactSecrets, type SecretSource, secretsOf } from '../logging/secrets';

/** What an app's start gives back. */
export interface RunningService {
  /** Drains in-flight work (commits it) and closes everything. */
  close(): Promise<void>;
  /** Settles when the service's work stopped by itself; a rejection means it failed. */
  readonly done?: Promise<unknown>;
}

export interface RunServiceOptions<C extends object> {
  /** The app's name, the prefix of its start-up error. */
  readonly name: string;
  /** Reads and validates the configuration (throws a ConfigError naming the YAML path). */
  readonly loadConfig: () => C;
  readonly start: (config: C) => Promise<RunningService>;
  /**
   * Secrets beyond the configuration that a start-up error must not print (a connector's pipeline
   * file's); a failure to find them adds none.
   */
  readonly secrets?: (config: C) => readonly SecretSource[];
  /** Flushes telemetry before the process ends. */
  readonly shutdown?: () => Promise<void>;
  /**
   * How long a SIGTERM's drain (and a start still under way before it) may take before the process
   * exits anyway (a client call that never answers must not keep a stopped service alive). Default 60 s.
   */
  readonly exitDeadlineMs?: (config: C) => number;
}

const DEFAULT_EXIT_DEADLINE_MS = 60_000;
/** The exit code of a process signalled during a start that did not end before the deadline. */
const EXIT_NOT_DRAINED = 143;

/**
 * The process life every Sluice app shares. SIGTERM (Kubernetes) or SIGINT (`sluice run` on Ctrl-C)
 * drains in-flight work and exits 0, so a restart redoes as little as possible (a signal during
 * start-up is taken once the start is over: what it opened is drained too); a service whose work
 * stopped on a failure exits 1 and the orchestrator restarts it from its last commit; a service
 * that cannot start prints why in one line — the configuration's secrets removed — and exits 1.
 */
export function runService<C extends object>(options: RunServiceOptions<C>): void {
  let config: C | undefined;
  let starting: Promise<RunningService> | undefined;
  let started = false;
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    const deadlineMs =
      config && options.exitDeadlineMs ? options.exitDeadlineMs(config) : DEFAULT_EXIT_DEADLINE_MS;
    setTimeout(() => {
      console.error(
        started
          ? `${options.name}: shutting down took over ${deadlineMs} ms; exiting without waiting further`
          : `${options.name}: still starting ${deadlineMs} ms after the signal; exiting, nothing drained`,
      );
      // Still starting: nothing was drained, so not the clean stop's code (128 + SIGTERM, as if killed).
      process.exit(started ? code : EXIT_NOT_DRAINED);
    }, deadlineMs).unref();
    // A signal during start-up waits for the start, then drains what it opened; a start that fails
    // says why and exits 1 (below).
    void starting?.then(
      (service) =>
        service
          .close()
          .then(() => options.shutdown?.())
          .finally(() => process.exit(code)),
      () => undefined,
    );
  };
  // Listening before anything starts: a signal while the modules are created or the work starts
  // would otherwise end the process at once (exit 143), nothing drained.
  // `on`, not `once`: a second signal must not end the drain (Ctrl-C under `sluice run` arrives
  // twice, the terminal's and the CLI's forward); `exit` runs once, and its deadline bounds it.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => exit(0));
  const main = async () => {
    config = options.loadConfig();
    starting = options.start(config);
    const service = await starting;
    started = true;
    service.done?.catch(() => exit(1));
  };
  const moreSecrets = (loaded: C): readonly SecretSource[] => {
    try {
      return options.secrets?.(loaded) ?? [];
    } catch {
      return [];
    }
  };
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      `${options.name}: ${redactSecrets(message, config ? secretsOf(config, moreSecrets(config)) : [])}`,
    );
    process.exit(1);
  });
}
