/** Polls until `predicate` holds; rejects after `timeoutMs` naming `what` (and `detail()`). */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  detail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`.trim());
    await new Promise((r) => setTimeout(r, 50));
  }
}
