/** One record's request, rendered from the destination's templates, before auth and signing. */
export interface PreparedRequest {
  readonly method: string;
  readonly url: URL;
  /** Header names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON of the rendered body (format json) or its text (format text). */
  readonly body: Buffer;
  readonly idempotencyKey: string;
}
