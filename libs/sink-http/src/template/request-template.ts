import { type Expression, Expression as ExpressionParser, type ExpressionScope } from '@sluice/pipeline';
import { type HttpDestinationConfig } from '../config/http-destination-config';
import { IdempotencyKey } from '../delivery/idempotency-key';
import { type PreparedRequest } from '../delivery/prepared-request';
import { JsonTemplate, toJsonText, toText, TemplateRenderError, TextTemplate } from '@sluice/http-client';

const DEFAULT_BODY = '{{ $value }}';
const EMPTY = Buffer.alloc(0);

/**
 * The request of one destination as templates over a record — URL, headers, body, idempotency key —
 * compiled once from the configuration and rendered per record. Failures are FatalRecordErrors
 * (ExpressionEvaluationError, TemplateRenderError): the record goes to the DLQ with the reason.
 */
export class RequestTemplate {
  private readonly url: TextTemplate;
  private readonly headers: ReadonlyArray<readonly [string, TextTemplate]>;
  private readonly body: JsonTemplate;
  private readonly key: IdempotencyKey;
  private readonly filter?: Expression;

  constructor(private readonly config: HttpDestinationConfig) {
    this.url = TextTemplate.parse(config.url, encodeURIComponent);
    this.headers = Object.entries(config.headers).map(([name, value]) => [
      name.toLowerCase(),
      TextTemplate.parse(value),
    ]);
    this.body = JsonTemplate.compile(config.body ?? DEFAULT_BODY);
    this.key = IdempotencyKey.fromTemplate(config.idempotencyKey);
    if (config.when !== undefined) this.filter = ExpressionParser.parse(config.when);
  }

  /** Whether the destination's `when` lets the record through. */
  accepts(scope: ExpressionScope): boolean {
    return this.filter ? this.filter.test(scope) : true;
  }

  /**
   * The rendered body alone, as text (a batch joins these into one JSON array, or lines): rendered
   * to the end here, in the record's own stage, so nothing of it fails later for the whole batch.
   */
  bodyText(scope: ExpressionScope): string {
    const value = this.body.render(scope);
    return this.config.format === 'json' ? toJsonText(value) : toText(value);
  }

  /** The request for one record; `withBody: false` leaves the body empty (a batch renders bodies itself). */
  render(scope: ExpressionScope, withBody = true): PreparedRequest {
    const text = this.url.render(scope);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TemplateRenderError(`url template rendered ${JSON.stringify(text)}, which is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TemplateRenderError(`url ${text} is not http(s)`);
    const headers: Record<string, string> = {
      'content-type': this.config.format === 'json' ? 'application/json' : 'text/plain; charset=utf-8',
    };
    for (const [name, template] of this.headers) {
      const value = template.render(scope);
      if (/[\r\n\0]/.test(value)) throw new TemplateRenderError(`header ${name} rendered a line break`);
      headers[name] = value;
    }
    const body = withBody ? Buffer.from(this.bodyText(scope), 'utf8') : EMPTY;
    return { method: this.config.method, url, headers, body, idempotencyKey: this.key.valueFor(scope) };
  }
}
