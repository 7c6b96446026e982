/** Why a webhook was not taken, as the sender should hear it: an HTTP status and a JSON error. */
export class WebhookRejection extends Error {
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    message: string,
    options: { readonly retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'WebhookRejection';
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
