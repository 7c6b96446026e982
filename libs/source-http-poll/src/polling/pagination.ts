import { type PaginationConfig } from '../connector/http-poll-settings';
import { type PagePointer } from '../cursor/poll-cursor';
import { valueAt } from './page-items';

/**
 * The pagination strategies: where the next page is, read from the page just received. Paging
 * stops on an empty page, a missing next, or (cursor-token) the same token twice.
 */
export function nextPage(
  pagination: PaginationConfig,
  page: {
    readonly body: unknown;
    readonly headers: Readonly<Record<string, string>>;
    readonly url: URL;
    readonly items: number;
  },
  current: PagePointer | undefined,
): PagePointer | undefined {
  if (page.items === 0) return undefined;
  switch (pagination.type) {
    case 'none':
      return undefined;
    case 'next-link': {
      const next = valueAt(page.body, pagination.path);
      return typeof next === 'string' && next !== ''
        ? { url: new URL(next, page.url).toString() }
        : undefined;
    }
    case 'link-header': {
      const next = linkRelNext(page.headers.link);
      return next === undefined ? undefined : { url: new URL(next, page.url).toString() };
    }
    case 'page': {
      if (pagination.size !== undefined && page.items < pagination.size) return undefined;
      const at = current && 'page' in current ? current.page : pagination.first;
      return { page: at + 1 };
    }
    case 'offset': {
      if (pagination.size !== undefined && page.items < pagination.size) return undefined;
      const at = current && 'offset' in current ? current.offset : 0;
      return { offset: at + page.items };
    }
    case 'cursor-token': {
      const token = valueAt(page.body, pagination.path);
      if (typeof token !== 'string' && typeof token !== 'number') return undefined;
      const text = String(token);
      if (text === '' || (current && 'token' in current && current.token === text)) return undefined;
      return { token: text };
    }
  }
}

/** Applies a page pointer to the first page's URL (page, offset, token); a URL pointer replaces it. */
export function pageUrl(pagination: PaginationConfig, first: URL, pointer: PagePointer | undefined): URL {
  if (pointer && 'url' in pointer) return new URL(pointer.url);
  const url = new URL(first);
  switch (pagination.type) {
    case 'page':
      url.searchParams.set(
        pagination.param,
        String(pointer && 'page' in pointer ? pointer.page : pagination.first),
      );
      if (pagination.sizeParam && pagination.size)
        url.searchParams.set(pagination.sizeParam, String(pagination.size));
      break;
    case 'offset':
      url.searchParams.set(pagination.param, String(pointer && 'offset' in pointer ? pointer.offset : 0));
      if (pagination.sizeParam && pagination.size)
        url.searchParams.set(pagination.sizeParam, String(pagination.size));
      break;
    case 'cursor-token':
      if (pointer && 'token' in pointer) url.searchParams.set(pagination.param, pointer.token);
      break;
    default:
      break;
  }
  return url;
}

/** The target of `rel="next"` in an RFC 8288 Link header (several links, quoted or bare rel values). */
export function linkRelNext(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return match[1];
  }
  return undefined;
}
