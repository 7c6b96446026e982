import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkRelNext, nextPage, pageUrl } from './pagination';

const page = (body: unknown, items: number, headers: Record<string, string> = {}) => ({
  body,
  headers,
  url: new URL('https://api.example.com/v1/items?since=x'),
  items,
});

describe('pagination', () => {
  it('reads rel="next" from an RFC 8288 Link header: several links, quoted, bare and multi-valued rels', () => {
    assert.equal(linkRelNext('<https://a/2>; rel="next", <https://a/9>; rel="last"'), 'https://a/2');
    assert.equal(linkRelNext('<https://a/1>; rel=prev, <https://a/3>; rel=next'), 'https://a/3');
    assert.equal(linkRelNext('<https://a/4>; title="x"; rel="next last"'), 'https://a/4');
    assert.equal(linkRelNext('<https://a/1>; rel="prev"'), undefined);
    assert.equal(linkRelNext(undefined), undefined);
    assert.equal(linkRelNext('garbage'), undefined);
  });

  it('next-link: a relative link resolves against the page; null, empty or absent ends paging', () => {
    const cfg = { type: 'next-link' as const, path: 'links.next' };
    assert.deepEqual(nextPage(cfg, page({ links: { next: '/v1/items?t=2' } }, 3), undefined), {
      url: 'https://api.example.com/v1/items?t=2',
    });
    assert.equal(nextPage(cfg, page({ links: { next: null } }, 3), undefined), undefined);
    assert.equal(nextPage(cfg, page({ links: {} }, 3), undefined), undefined);
    assert.equal(nextPage(cfg, page({ links: { next: '/x' } }, 0), undefined), undefined, 'empty page');
  });

  it('page and offset: advance by one page or by the items read; a short page is the last', () => {
    const pages = { type: 'page' as const, param: 'page', sizeParam: 'per_page', size: 10, first: 1 };
    assert.deepEqual(nextPage(pages, page({}, 10), undefined), { page: 2 });
    assert.deepEqual(nextPage(pages, page({}, 10), { page: 2 }), { page: 3 });
    assert.equal(nextPage(pages, page({}, 7), { page: 2 }), undefined);
    const offsets = { type: 'offset' as const, param: 'offset', sizeParam: 'limit', size: 10 };
    assert.deepEqual(nextPage(offsets, page({}, 10), { offset: 20 }), { offset: 30 });
    const url = pageUrl(offsets, new URL('https://a.example/items?since=1'), { offset: 30 });
    assert.equal(url.search, '?since=1&offset=30&limit=10');
  });

  it('cursor-token: the token from the body, into its parameter; the same token twice ends paging', () => {
    const cfg = { type: 'cursor-token' as const, path: 'meta.next', param: 'cursor' };
    assert.deepEqual(nextPage(cfg, page({ meta: { next: 'abc' } }, 5), undefined), { token: 'abc' });
    assert.equal(nextPage(cfg, page({ meta: { next: 'abc' } }, 5), { token: 'abc' }), undefined);
    assert.equal(pageUrl(cfg, new URL('https://a.example/items'), { token: 'a b' }).search, '?cursor=a+b');
  });
});
