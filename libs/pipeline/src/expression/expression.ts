import { FatalRecordError } from '@sluice/errors';
import { type ExpressionNode, parseExpression, type Root } from './expression-parser';

/** What an expression can see of one record. `headers` is computed only when an expression asks. */
export interface ExpressionScope {
  readonly value: unknown;
  readonly key: unknown;
  readonly headers: () => Readonly<Record<string, string | null>>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
}

/** An expression failed on a record's data (e.g. `<` between a number and a string). */
export class ExpressionEvaluationError extends FatalRecordError {
  constructor(message: string) {
    super(message, { code: 'EXPRESSION_FAILED' });
  }
}

type Evaluator = (scope: ExpressionScope) => unknown;

/** A parsed and compiled expression: parse once at start-up, evaluate per record. */
export class Expression {
  private readonly evaluate: Evaluator;

  private constructor(
    readonly text: string,
    node: ExpressionNode,
  ) {
    this.evaluate = compile(node);
  }

  /** Throws `ExpressionSyntaxError` when the text does not follow the grammar. */
  static parse(text: string): Expression {
    return new Expression(text, parseExpression(text));
  }

  /** The expression's value for one record. */
  valueFor(scope: ExpressionScope): unknown {
    try {
      return this.evaluate(scope);
    } catch (error) {
      if (error instanceof ExpressionEvaluationError)
        throw new ExpressionEvaluationError(`expression \`${this.text}\`: ${error.message}`);
      throw error;
    }
  }

  /** Truthiness as a predicate: only `true` is true (null, 0, '' and missing fields are not). */
  test(scope: ExpressionScope): boolean {
    return this.valueFor(scope) === true;
  }
}

function compile(node: ExpressionNode): Evaluator {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'regex': {
      const regex = node.regex;
      return () => regex;
    }
    case 'root':
      return rootEvaluator(node.root);
    case 'member': {
      const object = compile(node.object);
      const property = compile(node.property);
      return (s) => member(object(s), property(s));
    }
    case 'list': {
      const items = node.items.map(compile);
      return (s) => items.map((item) => item(s));
    }
    case 'call':
      return callEvaluator(node.name, node.args.map(compile));
    case 'not': {
      const operand = compile(node.operand);
      return (s) => !truthy(operand(s));
    }
    case 'negate': {
      const operand = compile(node.operand);
      return (s) => -numberOperand(operand(s), '-');
    }
    case 'logical': {
      const left = compile(node.left);
      const right = compile(node.right);
      return node.op === 'and'
        ? (s) => truthy(left(s)) && truthy(right(s))
        : (s) => truthy(left(s)) || truthy(right(s));
    }
    case 'binary': {
      const left = compile(node.left);
      const right = compile(node.right);
      const apply = BINARY[node.op];
      return (s) => apply(left(s), right(s));
    }
  }
}

function rootEvaluator(root: Root): Evaluator {
  switch (root) {
    case 'headers':
      return (s) => s.headers();
    default:
      return (s) => s[root];
  }
}

function truthy(value: unknown): boolean {
  return value === true;
}

/** Field access never throws: a missing field or a field of null is null. */
function member(object: unknown, property: unknown): unknown {
  if (object === null || object === undefined) return null;
  if (Array.isArray(object) && typeof property === 'number') return object[property] ?? null;
  if (typeof object === 'object' && (typeof property === 'string' || typeof property === 'number')) {
    if (!Object.prototype.hasOwnProperty.call(object, property)) return null;
    return (object as Record<string, unknown>)[property] ?? null;
  }
  return null;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (Buffer.isBuffer(value)) return 'bytes';
  return typeof value;
}

function numberOperand(value: unknown, op: string): number {
  if (typeof value !== 'number')
    throw new ExpressionEvaluationError(`'${op}' needs numbers, got ${typeName(value)}`);
  return value;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** Ordering compares two numbers or two strings; anything with null is false. */
function order(op: string, test: (c: number) => boolean) {
  return (a: unknown, b: unknown): boolean => {
    if (a === null || a === undefined || b === null || b === undefined) return false;
    if (typeof a === 'number' && typeof b === 'number') return test(a - b);
    if (typeof a === 'string' && typeof b === 'string') return test(a < b ? -1 : a > b ? 1 : 0);
    throw new ExpressionEvaluationError(`cannot compare ${typeName(a)} ${op} ${typeName(b)}`);
  };
}

function contains(container: unknown, item: unknown): boolean {
  if (container === null || container === undefined) return false;
  if (Array.isArray(container)) return container.some((c) => equal(c, item));
  if (typeof container === 'string' && typeof item === 'string') return container.includes(item);
  if (typeof container === 'object' && typeof item === 'string')
    return Object.prototype.hasOwnProperty.call(container, item);
  throw new ExpressionEvaluationError(
    `'in' needs a list, string or record on the right, got ${typeName(container)}`,
  );
}

/** Longest text `=~` reads: a bound on the time any pattern can take on a record's content. */
export const MAX_MATCHED_LENGTH = 65_536;

function matches(value: unknown, pattern: unknown): boolean {
  if (value === null || value === undefined) return false;
  // The parser only lets literal patterns through (compiled once).
  const regex = pattern as RegExp;
  if (typeof value !== 'string')
    throw new ExpressionEvaluationError(`'=~' needs a string, got ${typeName(value)}`);
  if (value.length > MAX_MATCHED_LENGTH)
    throw new ExpressionEvaluationError(
      `'=~' reads at most ${MAX_MATCHED_LENGTH} characters, got ${value.length}`,
    );
  regex.lastIndex = 0;
  return regex.test(value);
}

function arithmetic(op: string, f: (a: number, b: number) => number) {
  return (a: unknown, b: unknown): unknown => {
    if (a === null || a === undefined || b === null || b === undefined) return null;
    return f(numberOperand(a, op), numberOperand(b, op));
  };
}

const BINARY: Record<string, (a: unknown, b: unknown) => unknown> = {
  '==': equal,
  '!=': (a, b) => !equal(a, b),
  '<': order('<', (c) => c < 0),
  '<=': order('<=', (c) => c <= 0),
  '>': order('>', (c) => c > 0),
  '>=': order('>=', (c) => c >= 0),
  in: (a, b) => contains(b, a),
  'not in': (a, b) => !contains(b, a),
  '=~': matches,
  '!~': (a, b) => !matches(a, b),
  '+': (a, b) => {
    if (typeof a === 'string' || typeof b === 'string') {
      if (a === null || a === undefined || b === null || b === undefined) return null;
      if (typeof a === 'object' || typeof b === 'object')
        throw new ExpressionEvaluationError(`'+' cannot join ${typeName(a)} and ${typeName(b)}`);
      return `${String(a)}${String(b)}`;
    }
    return arithmetic('+', (x, y) => x + y)(a, b);
  },
  '-': arithmetic('-', (x, y) => x - y),
  '*': arithmetic('*', (x, y) => x * y),
  '/': arithmetic('/', (x, y) => x / y),
  '%': arithmetic('%', (x, y) => x % y),
};

function stringArg(name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string')
    throw new ExpressionEvaluationError(`${name}() needs a string, got ${typeName(value)}`);
  return value;
}

function callEvaluator(name: string, args: Evaluator[]): Evaluator {
  const [a = () => null, b = () => null] = args;
  switch (name) {
    case 'len':
      return (s) => {
        const v = a(s);
        if (v === null || v === undefined) return null;
        if (typeof v === 'string' || Array.isArray(v) || Buffer.isBuffer(v)) return v.length;
        if (typeof v === 'object') return Object.keys(v).length;
        throw new ExpressionEvaluationError(`len() needs a string, list or record, got ${typeName(v)}`);
      };
    case 'lower':
      return (s) => stringArg(name, a(s))?.toLowerCase() ?? null;
    case 'upper':
      return (s) => stringArg(name, a(s))?.toUpperCase() ?? null;
    case 'trim':
      return (s) => stringArg(name, a(s))?.trim() ?? null;
    case 'string':
      return (s) => {
        const v = a(s);
        if (v === null || v === undefined) return null;
        return typeof v === 'object' ? JSON.stringify(v) : String(v);
      };
    case 'number':
      return (s) => {
        const v = a(s);
        if (v === null || v === undefined) return null;
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (Number.isNaN(n)) throw new ExpressionEvaluationError(`number() cannot read ${JSON.stringify(v)}`);
        return n;
      };
    case 'abs':
      return (s) => {
        const v = a(s);
        return v === null || v === undefined ? null : Math.abs(numberOperand(v, 'abs'));
      };
    case 'startsWith':
      return (s) => stringArg(name, a(s))?.startsWith(stringArg(name, b(s)) ?? '\u0000') ?? false;
    case 'endsWith':
      return (s) => stringArg(name, a(s))?.endsWith(stringArg(name, b(s)) ?? '\u0000') ?? false;
    case 'contains':
      return (s) => contains(a(s), b(s));
    case 'coalesce':
      return (s) => {
        for (const arg of args) {
          const v = arg(s);
          if (v !== null && v !== undefined) return v;
        }
        return null;
      };
  }
  throw new Error(`no evaluator for function ${name}`);
}
