import { type ExpressionScope } from '@sluice/pipeline';
import { TextTemplate } from './text-template';

type Render = (scope: ExpressionScope) => unknown;

/**
 * A JSON document template from YAML: every string may hold `{{ expression }}` placeholders. A
 * string that is exactly one placeholder takes the expression's value with its type (a record, a
 * number, null); any other string is text with the values spliced in. Objects and lists are
 * templated member by member; other literals stay. Compiled once into closures.
 */
export class JsonTemplate {
  private constructor(private readonly renderValue: Render) {}

  static compile(template: unknown): JsonTemplate {
    return new JsonTemplate(compile(template));
  }

  render(scope: ExpressionScope): unknown {
    return this.renderValue(scope);
  }
}

function compile(node: unknown): Render {
  if (typeof node === 'string') {
    const text = TextTemplate.parse(node);
    if (text.isConstant) return () => node;
    const sole = text.soleExpression;
    if (sole) return (scope) => sole.valueFor(scope) ?? null;
    return (scope) => text.render(scope);
  }
  if (Array.isArray(node)) {
    const items = node.map(compile);
    return (scope) => items.map((item) => item(scope));
  }
  if (node !== null && typeof node === 'object') {
    const members = Object.entries(node).map(([key, value]) => [key, compile(value)] as const);
    return (scope) => {
      const out: Record<string, unknown> = {};
      for (const [key, member] of members) out[key] = member(scope);
      return out;
    };
  }
  return () => node;
}
