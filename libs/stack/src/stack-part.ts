/** What `sluice stack status` shows of one part. */
export interface PartStatus {
  name: string;
  address: string;
  /** A process this stack started is alive (its pid file names a running process). */
  running: boolean;
  /** The part answers its readiness probe (Kafka metadata, `SELECT 1`, `GET /subjects`). */
  answering: boolean;
  detail?: string;
  pid?: number;
  logFile: string;
}

/** The outcome of `up` for one part. */
export type StartOutcome =
  | 'started'
  | 'already-running'
  | 'answering-externally'
  /** An optional part (Jaeger, Prometheus) that could not start; the stack goes on without it. */
  | 'unavailable';

/**
 * One part of the local stack. `start` returns only when the part answers or throws an
 * `EnvironmentError` naming the part and its log; `stop` stops only a process this stack started.
 */
export interface StackPart {
  readonly name: string;
  readonly address: string;
  readonly logFile: string;
  status(): Promise<PartStatus>;
  start(): Promise<StartOutcome>;
  stop(): Promise<boolean>;
}

/** A part's status from its live pid (if any) and its readiness probe; a failing probe is "not answering". */
export async function describePart(
  part: Pick<StackPart, 'name' | 'address' | 'logFile'>,
  pid: number | undefined,
  probe: () => Promise<{ ok: boolean; detail?: string }>,
): Promise<PartStatus> {
  const answer = await probe().catch((err: Error) => ({ ok: false, detail: err.message }));
  return {
    name: part.name,
    address: part.address,
    running: pid !== undefined,
    answering: answer.ok,
    detail: answer.detail,
    pid,
    logFile: part.logFile,
  };
}
