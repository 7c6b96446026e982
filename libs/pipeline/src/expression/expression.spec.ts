import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Expression, ExpressionEvaluationError, type ExpressionScope } from './expression';
import { ExpressionSyntaxError } from './expression-parser';

function scope(value: unknown, extra: Partial<ExpressionScope> = {}): ExpressionScope {
  return {
    value,
    key: { id: 7 },
    headers: () => ({ 'x-tenant': 'acme' }),
    topic: 'sluice.public.orders',
    partition: 3,
    offset: '42',
    timestamp: 1000,
    ...extra,
  };
}

const evaluate = (text: string, value: unknown = {}) => Expression.parse(text).valueFor(scope(value));

describe('Expression', () => {
  const order = {
    status: 'paid',
    total: 120.5,
    qty: 3,
    price: 40,
    region: null,
    tags: ['a', 'b'],
    after: { id: 9 },
  };

  it('reads value fields, nested paths, indexes and the $ variables', () => {
    assert.equal(evaluate('status', order), 'paid');
    assert.equal(evaluate('after.id', order), 9);
    assert.equal(evaluate("tags[1] + '!'", order), 'b!');
    assert.equal(evaluate('$key.id'), 7);
    assert.equal(evaluate("$headers['x-tenant']"), 'acme');
    assert.equal(evaluate('$topic + ":" + string($partition) + "@" + $offset'), 'sluice.public.orders:3@42');
    assert.equal(evaluate('$timestamp'), 1000);
    assert.equal(evaluate('missing.deeper', order), null);
  });

  it('compares, combines with and/or/not and respects precedence', () => {
    assert.equal(evaluate("status == 'paid' and total > 100", order), true);
    assert.equal(evaluate("status != 'paid' or not (qty >= 3)", order), false);
    assert.equal(evaluate('qty * price == 120 && !(total < 100)', order), true);
    assert.equal(evaluate('1 + 2 * 3 - 4 / 2', order), 5);
    assert.equal(evaluate('-qty % 2', order), -1);
    assert.equal(evaluate("'b' < 'c'"), true);
  });

  it('supports in / not in over lists, strings and records, and regex matches', () => {
    assert.equal(evaluate("status in ['paid', 'shipped']", order), true);
    assert.equal(evaluate("'c' not in tags", order), true);
    assert.equal(evaluate("'ai' in status", order), true);
    assert.equal(evaluate("'id' in after", order), true);
    assert.equal(evaluate('status =~ /^PA/i', order), true);
    assert.equal(evaluate("status !~ '^x'", order), true);
    assert.equal(evaluate('region =~ /eu/', order), false);
  });

  it("refuses a pattern a record could choose: '=~' takes only a literal, and bounds the text it reads", () => {
    for (const text of ['status =~ region', "status =~ ('^' + region)", 'status !~ tags[0]'])
      assert.throws(
        () => Expression.parse(text),
        (e: unknown) => e instanceof ExpressionSyntaxError && /takes a literal pattern/.test(e.message),
        text,
      );
    assert.throws(() => Expression.parse("status =~ '('"), /invalid pattern/);
    assert.throws(
      () => evaluate('status =~ /a/', { status: 'a'.repeat(70_000) }),
      (e: unknown) => e instanceof ExpressionEvaluationError && /at most 65536 characters/.test(e.message),
    );
  });

  it('treats null and missing fields safely: ordering with null is false, equality works', () => {
    assert.equal(evaluate('region == null', order), true);
    assert.equal(evaluate('region > 1', order), false);
    assert.equal(evaluate('nope + 1', order), null);
    assert.equal(Expression.parse('region').test(scope(order)), false);
  });

  it('has a few functions', () => {
    assert.equal(evaluate("lower('AbC') + upper('x') + trim('  y ')"), 'abcXy');
    assert.equal(evaluate('len(tags) + len(status)', order), 6);
    assert.equal(evaluate("number('12.5') + abs(-1)"), 13.5);
    assert.equal(
      evaluate("startsWith(status, 'pa') and endsWith(status, 'id') and contains(tags, 'a')", order),
      true,
    );
    assert.equal(evaluate("coalesce(region, 'unknown')", order), 'unknown');
  });

  it('refuses bad syntax at parse time, naming the position', () => {
    for (const bad of ["status == 'paid", 'a ==', 'foo(1)', '$nope', 'a b', "len('a', 'b')", '/[/', '(a']) {
      assert.throws(() => Expression.parse(bad), ExpressionSyntaxError, bad);
    }
    assert.throws(() => Expression.parse('total >> 1'), /at character 8/);
  });

  it('a type error on data is a FatalRecordError naming the expression, never JavaScript coercion', () => {
    assert.throws(
      () => evaluate('status > 1', order),
      (e: unknown) =>
        e instanceof ExpressionEvaluationError &&
        /`status > 1`.*cannot compare string > number/.test(e.message),
    );
    assert.throws(() => evaluate('status * 2', order), ExpressionEvaluationError);
    assert.throws(() => evaluate("number('abc')"), ExpressionEvaluationError);
  });

  it('never evaluates text as JavaScript', () => {
    assert.throws(
      () => Expression.parse('constructor.constructor("return process")()'),
      ExpressionSyntaxError,
    );
    assert.equal(evaluate('constructor', order), null);
    assert.equal(evaluate('__proto__', order), null);
  });
});
