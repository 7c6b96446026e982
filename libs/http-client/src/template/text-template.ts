import { Expression, type ExpressionScope } from '@sluice/pipeline';
import { toText } from './json-body';

type Part = string | Expression;

const PLACEHOLDER = /\{\{(.*?)\}\}/g;

/**
 * Text with `{{ expression }}` placeholders in the transformer's expression language
 * (docs/pipelines.md), e.g. `https://crm.example.com/contacts/{{ $key.id }}`. Parsed once; each
 * render evaluates the expressions over one record and splices their values in (strings as they
 * are, numbers as digits, records as JSON, null as nothing), through `encode` when given (URLs
 * encode each value as a URI component, so a value cannot add path segments or a query).
 */
export class TextTemplate {
  private constructor(
    readonly text: string,
    private readonly parts: readonly Part[],
    private readonly encode?: (text: string) => string,
  ) {}

  /** Throws ExpressionSyntaxError for a placeholder that does not parse. */
  static parse(text: string, encode?: (text: string) => string): TextTemplate {
    const parts: Part[] = [];
    let last = 0;
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (match.index > last) parts.push(text.slice(last, match.index));
      parts.push(Expression.parse(match[1]!.trim()));
      last = match.index + match[0].length;
    }
    if (last < text.length) parts.push(text.slice(last));
    return new TextTemplate(text, parts, encode);
  }

  /** True when the text has no placeholder (render returns it unchanged). */
  get isConstant(): boolean {
    return this.parts.every((p) => typeof p === 'string');
  }

  /** When the whole text is one placeholder: that expression (its value keeps its type). */
  get soleExpression(): Expression | undefined {
    return this.parts.length === 1 && typeof this.parts[0] !== 'string' ? this.parts[0] : undefined;
  }

  render(scope: ExpressionScope): string {
    let out = '';
    for (const part of this.parts) {
      if (typeof part === 'string') out += part;
      else {
        const text = toText(part.valueFor(scope));
        out += this.encode ? this.encode(text) : text;
      }
    }
    return out;
  }
}
