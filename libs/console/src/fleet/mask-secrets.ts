const SECRET_NAME = /pass(word)?|secret|token|credential|api[-_]?key|private[-_]?key|authorization/i;

/** A copy of `value` with every field whose name says secret (password, token, ...) as `***`. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_NAME.test(k) && v !== null && v !== undefined ? '***' : maskSecrets(v),
      ]),
    );
  return value;
}
