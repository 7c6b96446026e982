/** A wrong command line: exit code 2, like commander's own usage errors. */
export class UsageError extends Error {
  readonly exitCode = 2;
}
