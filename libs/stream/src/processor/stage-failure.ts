import { isRetriable, SluiceError } from '@sluice/errors';
import { type ConnectStage } from '../dead-letter/dead-letter-headers';

/**
 * An error tagged with the stage it happened in, so the dead-letter record names it (Connect's
 * `__connect.errors.stage` and `.class.name`). Retriability is the cause's: tagging never turns a
 * transient failure into a permanent one or the reverse. The dead-letter headers describe the
 * cause, not this wrapper.
 */
export class StageFailure extends SluiceError {
  readonly code = 'STAGE_FAILED';
  readonly retriable: boolean;

  constructor(
    readonly stage: ConnectStage,
    /** The component that failed: a decoder, a pipeline step, a sink writer. */
    readonly className: string,
    override readonly cause: unknown,
  ) {
    super(`${stage} (${className}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.retriable = isRetriable(cause);
  }
}

/**
 * Runs `work` as `stage` of component `className`: anything it throws comes out as a StageFailure.
 * An error already tagged keeps its (innermost) stage.
 *
 * Returns what `work` returns: a value for synchronous work (its throw tagged and thrown), a promise
 * for asynchronous work (its rejection tagged). Synchronous stages, such as Avro decoding, cost no
 * promise and no turn of the microtask queue: they run for every record.
 */
export function inStage<T>(stage: ConnectStage, className: string, work: () => T): T {
  let result: T;
  try {
    result = work();
  } catch (error) {
    throw tagged(stage, className, error);
  }
  if (!isPromiseLike(result)) return result;
  return Promise.resolve(result).catch((error: unknown) => {
    throw tagged(stage, className, error);
  }) as T;
}

function tagged(stage: ConnectStage, className: string, error: unknown): StageFailure {
  return error instanceof StageFailure ? error : new StageFailure(stage, className, error);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
