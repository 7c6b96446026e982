import { PollFailedError } from './poll-errors';

/** The value at a dotted path of a JSON body (`$` is the body). */
export function valueAt(body: unknown, path: string): unknown {
  if (path === '$') return body;
  let node: unknown = body;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The items of a page: the list at `path`, of objects; anything else is a clear stream error. */
export function pageItems(stream: string, body: unknown, path: string): Record<string, unknown>[] {
  const items = valueAt(body, path);
  if (!Array.isArray(items))
    throw new PollFailedError(
      `${stream}: the page has no list at items path '${path}' (found ${items === undefined ? 'nothing' : Array.isArray(items) ? 'a list' : typeof items})`,
      { code: 'HTTP_POLL_BAD_PAGE' },
    );
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new PollFailedError(`${stream}: item ${i} at '${path}' is not an object`, {
        code: 'HTTP_POLL_BAD_PAGE',
      });
  });
  return items as Record<string, unknown>[];
}
