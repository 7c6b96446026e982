/**
 * Runs each release in turn, a later one also when an earlier one threw (a producer whose
 * disconnect failed must not leave the consumer and the admin client connected), then rethrows the
 * first failure once all ran.
 */
export async function releaseInTurn(releases: ReadonlyArray<() => unknown>): Promise<void> {
  let failed: { readonly reason: unknown } | undefined;
  for (const release of releases) {
    try {
      await release();
    } catch (reason) {
      failed ??= { reason };
    }
  }
  if (failed) throw failed.reason;
}
