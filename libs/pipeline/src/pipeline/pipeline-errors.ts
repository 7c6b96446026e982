import { FatalRecordError } from '@sluice/errors';

/**
 * A step could not process a record: a bug in the step or data it cannot handle. Permanent for this
 * record, so the runtime dead-letters it; `step` (e.g. `steps[2].mask`) says which step, and `code`
 * keeps the original error's code when it had one.
 */
export class StepFailedError extends FatalRecordError {
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(`${step}: ${message}`, { cause: options?.cause, code: options?.code ?? 'STEP_FAILED' });
  }
}

/** A data-quality rule of a `validate` step failed with action `dlq`; `rule` names the rule. */
export class ValidationFailedError extends StepFailedError {
  constructor(
    step: string,
    readonly rule: string,
    message: string,
  ) {
    super(step, `rule "${rule}" failed: ${message}`, { code: 'VALIDATION_FAILED' });
  }
}
