import { RetriableError, SluiceError } from '@sluice/errors';

/**
 * The API refused the credentials (401 after a token refresh, or 403): the stream stops with this
 * as its status until restarted, rather than retrying into an account lockout.
 */
export class StreamRefusedError extends SluiceError {
  readonly code = 'HTTP_POLL_REFUSED';
  readonly retriable = false;

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One poll failed (the API answered 5xx/429 beyond the retries, timed out, or sent what is not a
 * page): the cursor stays where it is and the next poll, after the interval, asks again.
 */
export class PollFailedError extends RetriableError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { code: 'HTTP_POLL_FAILED', ...options });
  }
}
