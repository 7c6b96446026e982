/**
 * The string `field` of each entry of `status[key]`, a list of objects in an app's `/status` (a
 * webhook source's `endpoints`, a polling source's `streams`); undefined when `key` holds no list.
 * Entries without that field are left out: `/status` is another process's answer, read loosely.
 */
export function statusEntryStrings(
  status: Readonly<Record<string, unknown>> | undefined,
  key: string,
  field: string,
): string[] | undefined {
  const list = status?.[key];
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((entry: unknown) => {
    const value = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[field] : undefined;
    return typeof value === 'string' ? [value] : [];
  });
}
