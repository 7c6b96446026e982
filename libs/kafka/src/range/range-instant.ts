// A point in time as users write a range bound: ms since the epoch, or an ISO-8601 date or date
// and time. Strict on purpose: V8's Date.parse reads "-1" as 2001-01-01 and "2024-02-30" as
// March 1st, and a group reset to such a time silently reprocesses years.

/** The latest instant a JavaScript Date holds (ECMA-262: 8.64e15 ms after the epoch). */
export const LATEST_INSTANT_MS = 8.64e15;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `text` as ms since the epoch: digits alone are epoch ms; otherwise an ISO-8601 date (midnight
 * UTC), or date and time (UTC unless it carries an offset). Undefined for anything else, for a
 * date the calendar lacks (2024-02-30, 25:00) and for an instant past LATEST_INSTANT_MS.
 */
export function parseRangeInstant(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    return ms <= LATEST_INSTANT_MS ? ms : undefined;
  }
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // The fields as written must be the fields of the date they make: no rolling over.
  const fields = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    fields.getUTCFullYear() !== year ||
    fields.getUTCMonth() !== month - 1 ||
    fields.getUTCDate() !== day ||
    fields.getUTCHours() !== hour ||
    fields.getUTCMinutes() !== minute ||
    fields.getUTCSeconds() !== second
  )
    return undefined;
  const ms = Date.parse(m[4] === undefined ? `${y}-${mo}-${d}T00:00:00Z` : isoWithZone(value, m[8]));
  return Number.isNaN(ms) || ms > LATEST_INSTANT_MS ? undefined : ms;
}

/** The ISO text Date.parse reads exactly: a `T`, and `Z` when no offset was given. */
function isoWithZone(value: string, zone: string | undefined): string {
  const t = value.replace(' ', 'T');
  if (zone === undefined) return `${t}Z`;
  // +0100 → +01:00
  return /[+-]\d{4}$/.test(zone) ? `${t.slice(0, -2)}:${t.slice(-2)}` : t;
}
