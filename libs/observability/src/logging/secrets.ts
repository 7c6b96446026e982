/** Setting names whose string values are secrets, wherever they sit in a configuration. */
const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|credential|private[-_]?key)/i;
const REDACTED = '[REDACTED]';

/**
 * The secret values of a configuration: strings under secret-sounding keys, and the password part
 * of any URL with user info (`postgres://user:pass@host/db`). Given to the logger, which removes
 * them from every line it writes, whatever the field or message they end up in (an error message
 * quoting a connection string, say).
 */
export function secretsOf(config: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key !== undefined && SECRET_KEY.test(key) && value.length > 0) found.add(value);
      const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^@/\s]+)@/i.exec(value);
      if (userinfo) {
        found.add(userinfo[1]!);
        try {
          found.add(decodeURIComponent(userinfo[1]!));
        } catch {
          // not percent-encoded text: the raw form is enough
        }
      }
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(config, undefined);
  // Longest first, so a secret containing another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret (also as it appears JSON-escaped) replaced. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
