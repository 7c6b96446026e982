import { RetriableError } from '../sluice-error';

/** An outbound call did not settle in time: the dependency may be gone, or the client stuck. */
export class DeadlineExceededError extends RetriableError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} did not complete within ${timeoutMs} ms`, { code: 'DEADLINE_EXCEEDED' });
  }
}

/**
 * Settles as `work` does, or rejects with a DeadlineExceededError after `timeoutMs`. The work
 * itself is not cancelled (a promise cannot be): the caller abandons it and must discard what it
 * was using (a producer, a connection) before trying again. A rejection of the abandoned work is
 * absorbed, so it never surfaces as an unhandled rejection.
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(operation, timeoutMs)), timeoutMs);
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
