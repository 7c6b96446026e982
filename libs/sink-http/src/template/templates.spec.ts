import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExpressionEvaluationError, ExpressionSyntaxError } from '@sluice/pipeline';
import { parseConfig } from '@sluice/config';
import { httpDestinationConfigSchema } from '../config/http-destination-config';
import { scopeOf } from '../testing/scope';
import { RequestTemplate } from './request-template';
import { JsonTemplate, toJsonText, TemplateRenderError, TextTemplate } from '@sluice/http-client';

const order = {
  id: 7,
  email: 'a@b.c',
  total: 12.5,
  tags: ['x'],
  big: 2n ** 60n,
  blob: Buffer.from([1, 2, 3]),
  note: null,
};

describe('TextTemplate', () => {
  it('splices expression values into text: strings as is, numbers as digits, records as JSON, null as nothing', () => {
    const t = TextTemplate.parse(
      'id={{ id }} email={{ email }} tags={{ tags }} note=[{{ note }}] big={{ big }}',
    );
    assert.equal(t.render(scopeOf(order)), 'id=7 email=a@b.c tags=["x"] note=[] big=1152921504606846976');
  });

  it('URL templates encode each value as a URI component', () => {
    const t = TextTemplate.parse('https://crm.example.com/c/{{ email }}?q={{ tags }}', encodeURIComponent);
    assert.equal(
      t.render(scopeOf({ email: 'a/b?c', tags: ['x y'] })),
      'https://crm.example.com/c/a%2Fb%3Fc?q=%5B%22x%20y%22%5D',
    );
  });

  it('a placeholder that does not parse is refused at parse time', () => {
    assert.throws(() => TextTemplate.parse('{{ value. }}'), ExpressionSyntaxError);
  });
});

describe('JsonTemplate and JSON bodies', () => {
  it('a sole placeholder keeps the type; other strings interpolate; literals stay', () => {
    const t = JsonTemplate.compile({
      id: '{{ id }}',
      text: 'Order {{ id }} paid',
      items: ['{{ tags }}', 3],
      flag: true,
      missing: '{{ nope }}',
    });
    assert.deepEqual(t.render(scopeOf(order)), {
      id: 7,
      text: 'Order 7 paid',
      items: [['x'], 3],
      flag: true,
      missing: null,
    });
  });

  it('bytes as base64, longs beyond 2^53 as exact JSON numbers', () => {
    assert.equal(
      toJsonText(order),
      '{"id":7,"email":"a@b.c","total":12.5,"tags":["x"],"big":1152921504606846976,"blob":"AQID","note":null}',
    );
    assert.equal(toJsonText(Buffer.from('hi')), '"aGk="');
    assert.equal(toJsonText(undefined), 'null');
  });
});

function destination(over: Record<string, unknown> = {}) {
  return parseConfig(
    httpDestinationConfigSchema,
    { name: 'crm', url: 'https://crm.example.com/contacts/{{ id }}', ...over },
    { env: {} },
  );
}

describe('RequestTemplate', () => {
  it('defaults: POST the decoded value as JSON, Idempotency-Key topic:partition:offset', () => {
    const req = new RequestTemplate(destination()).render(scopeOf({ id: 7, name: 'Zoë' }));
    assert.equal(req.method, 'POST');
    assert.equal(req.url.href, 'https://crm.example.com/contacts/7');
    assert.deepEqual(req.headers, { 'content-type': 'application/json' });
    assert.equal(req.body.toString('utf8'), '{"id":7,"name":"Zoë"}');
    assert.equal(req.idempotencyKey, 'shop.orders:2:41');
  });

  it("a DLQ redrive's copy keeps its original's key (sluice.redrive.of); a template decides itself", () => {
    const copy = scopeOf(
      { id: 7 },
      { offset: '900', headers: { 'sluice.redrive.of': 'shop.orders.v2/3/41', 'sluice.redrive.id': 'r1' } },
    );
    assert.equal(new RequestTemplate(destination()).render(copy).idempotencyKey, 'shop.orders.v2:3:41');
    const unreadable = scopeOf({ id: 7 }, { offset: '900', headers: { 'sluice.redrive.of': 'garbled' } });
    assert.equal(new RequestTemplate(destination()).render(unreadable).idempotencyKey, 'shop.orders:2:900');
    const perRun = new RequestTemplate(
      destination({ idempotencyKey: "{{ $offset }}-{{ $headers['sluice.redrive.id'] }}" }),
    );
    assert.equal(perRun.render(copy).idempotencyKey, '900-r1');
  });

  it('method, headers, a body template, text format and a key template', () => {
    const t = new RequestTemplate(
      destination({
        method: 'PUT',
        headers: { 'X-Order': '{{ id }}', 'X-Topic': '{{ $topic }}' },
        body: 'Order {{ id }} from {{ $headers.source }}',
        format: 'text',
        idempotencyKey: '{{ lsn }}-{{ $key.id }}',
      }),
    );
    const req = t.render(scopeOf({ id: 7, lsn: 99 }, { key: { id: 7 }, headers: { source: 'pg' } }));
    assert.equal(req.method, 'PUT');
    assert.deepEqual(req.headers, {
      'content-type': 'text/plain; charset=utf-8',
      'x-order': '7',
      'x-topic': 'shop.orders',
    });
    assert.equal(req.body.toString(), 'Order 7 from pg');
    assert.equal(req.idempotencyKey, '99-7');
  });

  it('when: routes only matching records', () => {
    const t = new RequestTemplate(destination({ when: "op != 'd'" }));
    assert.equal(t.accepts(scopeOf({ op: 'c' })), true);
    assert.equal(t.accepts(scopeOf({ op: 'd' })), false);
  });

  it('records it cannot render fail with a FatalRecordError naming the problem', () => {
    assert.throws(
      () =>
        new RequestTemplate(destination({ url: '{{ target }}' })).render(scopeOf({ target: 'not a url' })),
      TemplateRenderError,
    );
    assert.throws(
      () =>
        new RequestTemplate(destination({ url: '{{ target }}' })).render(
          scopeOf({ target: 'file:///etc/passwd' }),
        ),
      TemplateRenderError,
    );
    assert.throws(
      () =>
        new RequestTemplate(destination({ headers: { 'X-A': '{{ h }}' } })).render(
          scopeOf({ id: 1, h: 'a\r\nInjected: 1' }),
        ),
      TemplateRenderError,
    );
    assert.throws(
      () => new RequestTemplate(destination({ body: '{{ n < 1 }}' })).render(scopeOf({ id: 1, n: 'text' })),
      ExpressionEvaluationError,
    );
    assert.throws(
      () => new RequestTemplate(destination({ idempotencyKey: '{{ missing }}' })).render(scopeOf({ id: 1 })),
      TemplateRenderError,
    );
  });
});
