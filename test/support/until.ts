/**
 * Polls until `predicate` holds, every `intervalMs`; rejects after `timeoutMs` naming `what` (and
 * `detail()`).
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  detail: () => string = () => '',
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`.trim());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls `count` every `intervalMs` until it stood still for `stillMs` (and moved no more): a stream
 * that has caught up. Rejects after `timeoutMs` naming `what`.
 */
export async function untilStill(
  count: () => Promise<number>,
  stillMs: number,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await count();
  let since = Date.now();
  while (Date.now() - since < stillMs) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    const now = await count();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}
