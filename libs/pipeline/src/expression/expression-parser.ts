/**
 * The pipeline expression language: a tiny, safe grammar for filter predicates, cross-field rules
 * and routing. YAML text is parsed into this AST and compiled into closures; nothing is ever
 * evaluated as JavaScript. Grammar (lowest precedence first; documented in docs/pipelines.md):
 *
 *   expr    := or
 *   or      := and (("or" | "||") and)*
 *   and     := not (("and" | "&&") not)*
 *   not     := ("not" | "!") not | compare
 *   compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "=~" | "!~") sum)?
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/" | "%") unary)*
 *   unary   := "-" unary | postfix
 *   postfix := primary ("." name | "[" expr "]")*
 *   primary := number | string | /regex/flags | true | false | null | "[" list "]" | "(" expr ")"
 *            | name "(" list ")" | name | $value | $key | $headers | $topic | $partition | $offset | $timestamp
 */

export type BinaryOperator =
  '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '=~' | '!~' | '+' | '-' | '*' | '/' | '%';

export const ROOTS = ['value', 'key', 'headers', 'topic', 'partition', 'offset', 'timestamp'] as const;
export type Root = (typeof ROOTS)[number];

export type ExpressionNode =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'regex'; readonly regex: RegExp }
  | { readonly kind: 'root'; readonly root: Root }
  | { readonly kind: 'member'; readonly object: ExpressionNode; readonly property: ExpressionNode }
  | { readonly kind: 'list'; readonly items: readonly ExpressionNode[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly ExpressionNode[] }
  | { readonly kind: 'not'; readonly operand: ExpressionNode }
  | { readonly kind: 'negate'; readonly operand: ExpressionNode }
  | {
      readonly kind: 'logical';
      readonly op: 'and' | 'or';
      readonly left: ExpressionNode;
      readonly right: ExpressionNode;
    }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOperator;
      readonly left: ExpressionNode;
      readonly right: ExpressionNode;
    };

/** The expression text does not follow the grammar; `position` is the 0-based character offset. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position + 1}`);
    this.name = 'ExpressionSyntaxError';
  }
}

type Token =
  | { type: 'number'; value: number; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'regex'; value: RegExp; pos: number }
  | { type: 'name'; value: string; pos: number }
  | { type: 'punct'; value: string; pos: number }
  | { type: 'end'; pos: number };

const PUNCTUATION = [
  '==',
  '!=',
  '<=',
  '>=',
  '=~',
  '!~',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];
const NAME = /[A-Za-z_$][A-Za-z0-9_]*/y;
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  // A `/` starts a regex where an operand is expected, and divides after one.
  const operandExpected = () => {
    const last = tokens.at(-1);
    if (!last) return true;
    if (last.type === 'punct') return ![')', ']'].includes(last.value);
    return last.type === 'name' && ['and', 'or', 'not', 'in'].includes(last.value);
  };
  while (pos < text.length) {
    const ch = text[pos]!;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const [value, end] = readString(text, pos);
      tokens.push({ type: 'string', value, pos });
      pos = end;
      continue;
    }
    if (ch === '/' && operandExpected()) {
      const [value, end] = readRegex(text, pos);
      tokens.push({ type: 'regex', value, pos });
      pos = end;
      continue;
    }
    NUMBER.lastIndex = pos;
    const number = NUMBER.exec(text);
    if (number && /[\d.]/.test(ch) && !(ch === '.' && !/\d/.test(text[pos + 1] ?? ''))) {
      tokens.push({ type: 'number', value: Number(number[0]), pos });
      pos += number[0].length;
      continue;
    }
    NAME.lastIndex = pos;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ type: 'name', value: name[0], pos });
      pos += name[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, pos));
    if (!punct) throw new ExpressionSyntaxError(`unexpected character '${ch}'`, pos);
    tokens.push({ type: 'punct', value: punct, pos });
    pos += punct.length;
  }
  tokens.push({ type: 'end', pos });
  return tokens;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

function readString(text: string, start: number): [string, number] {
  const quote = text[start]!;
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === quote) return [out, i + 1];
    if (ch === '\\') {
      const next = text[++i];
      if (next === undefined || !(next in ESCAPES))
        throw new ExpressionSyntaxError('invalid escape in string', i);
      out += ESCAPES[next];
    } else out += ch;
  }
  throw new ExpressionSyntaxError('unterminated string', start);
}

function readRegex(text: string, start: number): [RegExp, number] {
  let i = start + 1;
  let source = '';
  for (; i < text.length && text[i] !== '/'; i++) {
    if (text[i] === '\\' && i + 1 < text.length) source += text[i++];
    source += text[i];
  }
  if (i >= text.length) throw new ExpressionSyntaxError('unterminated regular expression', start);
  let end = i + 1;
  while (end < text.length && /[imsu]/.test(text[end]!)) end++;
  try {
    return [new RegExp(source, text.slice(i + 1, end)), end];
  } catch (error) {
    throw new ExpressionSyntaxError(`invalid regular expression (${(error as Error).message})`, start);
  }
}

export const FUNCTIONS: Readonly<Record<string, number>> = {
  len: 1,
  lower: 1,
  upper: 1,
  trim: 1,
  string: 1,
  number: 1,
  abs: 1,
  startsWith: 2,
  endsWith: 2,
  contains: 2,
  coalesce: -1,
};

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ExpressionNode {
    const node = this.or();
    const next = this.peek();
    if (next.type !== 'end') throw new ExpressionSyntaxError(`unexpected ${describe(next)}`, next.pos);
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private is(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return (t.type === 'punct' || t.type === 'name') && t.value === value;
  }

  private take(value: string): boolean {
    if (!this.is(value)) return false;
    this.index++;
    return true;
  }

  private expect(value: string): void {
    if (!this.take(value))
      throw new ExpressionSyntaxError(
        `expected '${value}' but found ${describe(this.peek())}`,
        this.peek().pos,
      );
  }

  private or(): ExpressionNode {
    let left = this.and();
    while (this.take('or') || this.take('||')) left = { kind: 'logical', op: 'or', left, right: this.and() };
    return left;
  }

  private and(): ExpressionNode {
    let left = this.not();
    while (this.take('and') || this.take('&&'))
      left = { kind: 'logical', op: 'and', left, right: this.not() };
    return left;
  }

  private not(): ExpressionNode {
    if (this.take('not') || this.take('!')) return { kind: 'not', operand: this.not() };
    return this.compare();
  }

  private compare(): ExpressionNode {
    const left = this.sum();
    for (const op of ['=~', '!~'] as const)
      if (this.take(op)) return { kind: 'binary', op, left, right: this.pattern(op) };
    for (const op of ['==', '!=', '<=', '>=', '<', '>', 'in'] as const) {
      if (this.take(op)) return { kind: 'binary', op, left, right: this.sum() };
    }
    if (this.is('not') && this.is('in', 1)) {
      this.index += 2;
      return { kind: 'binary', op: 'not in', left, right: this.sum() };
    }
    return left;
  }

  /**
   * The pattern of `=~`: a /regex/ or a 'string' literal, compiled here once. Never a value computed
   * per record, which could choose a pattern that backtracks for ever and blocks the process.
   */
  private pattern(op: string): ExpressionNode {
    const t = this.peek();
    if (t.type === 'regex') {
      this.index++;
      return { kind: 'regex', regex: t.value };
    }
    if (t.type === 'string') {
      this.index++;
      try {
        return { kind: 'regex', regex: new RegExp(t.value) };
      } catch (error) {
        throw new ExpressionSyntaxError(`invalid pattern: ${(error as Error).message}`, t.pos);
      }
    }
    throw new ExpressionSyntaxError(
      `'${op}' takes a literal pattern (/.../ or '...'), found ${describe(t)}`,
      t.pos,
    );
  }

  private sum(): ExpressionNode {
    let left = this.product();
    for (;;) {
      const op = this.take('+') ? '+' : this.take('-') ? '-' : undefined;
      if (!op) return left;
      left = { kind: 'binary', op, left, right: this.product() };
    }
  }

  private product(): ExpressionNode {
    let left = this.unary();
    for (;;) {
      const op = this.take('*') ? '*' : this.take('/') ? '/' : this.take('%') ? '%' : undefined;
      if (!op) return left;
      left = { kind: 'binary', op, left, right: this.unary() };
    }
  }

  private unary(): ExpressionNode {
    if (this.take('-')) return { kind: 'negate', operand: this.unary() };
    return this.postfix();
  }

  private postfix(): ExpressionNode {
    let node = this.primary();
    for (;;) {
      if (this.take('.')) {
        const name = this.peek();
        if (name.type !== 'name')
          throw new ExpressionSyntaxError(`expected a field name after '.'`, name.pos);
        this.index++;
        node = { kind: 'member', object: node, property: { kind: 'literal', value: name.value } };
      } else if (this.take('[')) {
        const property = this.or();
        this.expect(']');
        node = { kind: 'member', object: node, property };
      } else return node;
    }
  }

  private primary(): ExpressionNode {
    const token = this.peek();
    this.index++;
    switch (token.type) {
      case 'number':
      case 'string':
        return { kind: 'literal', value: token.value };
      case 'regex':
        return { kind: 'regex', regex: token.value };
      case 'punct':
        if (token.value === '(') {
          const inner = this.or();
          this.expect(')');
          return inner;
        }
        if (token.value === '[') return { kind: 'list', items: this.list(']') };
        break;
      case 'name':
        return this.name(token.value, token.pos);
      case 'end':
        throw new ExpressionSyntaxError('unexpected end of expression', token.pos);
    }
    throw new ExpressionSyntaxError(`unexpected ${describe(token)}`, token.pos);
  }

  private name(name: string, pos: number): ExpressionNode {
    if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
    if (name === 'null') return { kind: 'literal', value: null };
    if (['and', 'or', 'not', 'in'].includes(name))
      throw new ExpressionSyntaxError(`unexpected '${name}'`, pos);
    if (name.startsWith('$')) {
      const root = name.slice(1) as Root;
      if (!ROOTS.includes(root))
        throw new ExpressionSyntaxError(
          `unknown variable '${name}' (known: ${ROOTS.map((r) => `$${r}`).join(', ')})`,
          pos,
        );
      return { kind: 'root', root };
    }
    if (this.take('(')) {
      const arity = FUNCTIONS[name];
      if (arity === undefined)
        throw new ExpressionSyntaxError(
          `unknown function '${name}' (known: ${Object.keys(FUNCTIONS).join(', ')})`,
          pos,
        );
      const args = this.list(')');
      if (arity >= 0 && args.length !== arity)
        throw new ExpressionSyntaxError(`${name}() takes ${arity} argument(s), got ${args.length}`, pos);
      return { kind: 'call', name, args };
    }
    // A bare name is a field of the record's value.
    return {
      kind: 'member',
      object: { kind: 'root', root: 'value' },
      property: { kind: 'literal', value: name },
    };
  }

  private list(close: string): ExpressionNode[] {
    const items: ExpressionNode[] = [];
    if (this.take(close)) return items;
    do items.push(this.or());
    while (this.take(','));
    this.expect(close);
    return items;
  }
}

function describe(token: Token): string {
  if (token.type === 'end') return 'end of expression';
  if (token.type === 'regex') return `regular expression ${String(token.value)}`;
  return `'${String(token.value)}'`;
}

/** Parses expression text; throws `ExpressionSyntaxError` naming the position. */
export function parseExpression(text: string): ExpressionNode {
  return new Parser(tokenize(text)).parse();
}
