/** Setting names whose string values are secrets, wherever they sit in a configuration. */
const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|credential|private[-_]?key)/i;
const REDACTED = '[REDACTED]';
/**
 * Secrets shorter than this are not replaced inside free text: a short one is too likely to be an
 * ordinary word (the local stack's password `postgres` turned every `sink-postgres` into
 * `sink-[REDACTED]`). They are still removed by field name and from URLs.
 */
export const MIN_REDACTED_LENGTH = 8;
/** The password of a URL with user info, `scheme://user:<password>@`. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/:@\s"]*:)[^@/\s"]+@/gi;
/** Field names whose values pino replaces wherever they sit (up to three levels down). */
const SECRET_FIELDS = [
  'password',
  'passwd',
  'secret',
  'secrets',
  'token',
  'apiKey',
  'api_key',
  'credential',
  'privateKey',
  'private_key',
];
export const SECRET_FIELD_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.*.*.${field}`,
]);

/**
 * Where secrets are found beyond an app's configuration: another configuration (an object, searched
 * as `secretsOf` searches one: a transformer's pipeline file) or, as a string, a secret itself.
 */
export type SecretSource = unknown;

/**
 * The secret values of a configuration (and of `more` sources): strings under secret-sounding
 * keys, the `value` of an `auth` section, the `key` (or `salt`) of a `mask` step or rule, and the
 * password part of any URL with user info (`postgres://user:pass@host/db`). Given to the logger,
 * which removes them from every line it writes, whatever the field or message they end up in (an
 * error message quoting a connection string, say).
 */
export function secretsOf(config: unknown, more: readonly SecretSource[] = []): string[] {
  const found = new Set<string>();
  for (const source of more) if (typeof source === 'string' && source.length > 0) found.add(source);
  eachString([config, ...more.filter((s) => typeof s !== 'string')], (value, key, parent) => {
    if (isSecretField(value, key, parent)) found.add(value);
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^@/\s]+)@/i.exec(value);
    if (userinfo) {
      found.add(userinfo[1]!);
      try {
        found.add(decodeURIComponent(userinfo[1]!));
      } catch {
        // not percent-encoded text: the raw form is enough
      }
    }
  });
  // Longest first, so a secret containing another is replaced whole.
  return [...found].filter((s) => s.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}

/** Whether a configuration (or one of `more` sources) holds a secret too short to be removed from free text. */
export function hasShortSecrets(config: unknown, more: readonly SecretSource[] = []): boolean {
  let short = more.some((s) => typeof s === 'string' && s.length > 0 && s.length < MIN_REDACTED_LENGTH);
  eachString([config, ...more.filter((s) => typeof s !== 'string')], (value, key, parent) => {
    if (isSecretField(value, key, parent) && value.length < MIN_REDACTED_LENGTH) short = true;
  });
  return short;
}

/**
 * A non-empty string under a secret-sounding key; the `value` of an `auth` section (an API key:
 * sink-http's and source-http-poll's `auth: { type: api-key, value }`); the `key` of a `mask`
 * (the pipeline mask step's HMAC key, `- mask: { with: hash, key }`) or its `salt` (source-postgres's
 * `columns.mask[].salt`, the key of its HMAC). `key` alone is no secret: record keys are logged.
 */
function isSecretField(value: string, key: string | undefined, parent?: string): boolean {
  if (value.length === 0 || key === undefined) return false;
  return (
    SECRET_KEY.test(key) ||
    (key === 'value' && parent === 'auth') ||
    ((key === 'key' || key === 'salt') && parent === 'mask')
  );
}

/** Calls `visit` with every string of a configuration and the key it sits under (a list's, for its items). */
function eachString(
  value: unknown,
  visit: (text: string, key: string | undefined, parent: string | undefined) => void,
  key?: string,
  parent?: string,
): void {
  if (typeof value === 'string') visit(value, key, parent);
  else if (Array.isArray(value)) for (const item of value) eachString(item, visit, key, parent);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) eachString(v, visit, k, key);
}

/**
 * A function that replaces, in a line, every URL password and every configured secret standing as a
 * token of its own (also JSON-escaped): not inside a longer word, so `sink-postgres` keeps its name
 * when the password is `postgres`, while `password=postgres` or `"postgres"` lose it. Compiled once.
 */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const pattern =
    forms.length === 0
      ? undefined
      : new RegExp(
          `(?<![A-Za-z0-9_-])(?:${forms.map(escapeRegExp).join('|')})(?![A-Za-z0-9_-]|:\\/\\/)`,
          'g',
        );
  return (text) => {
    const out = text.includes('://') ? text.replace(URL_PASSWORD, `$1${REDACTED}@`) : text;
    return pattern === undefined ? out : out.replace(pattern, REDACTED);
  };
}

/** `text` with every URL password and every occurrence of each secret as a token replaced. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secretRedactor(secrets)(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
