import {
  type AuditRecord,
  deadLetterId,
  type RedriveResult,
  type RenderedDeadLetter,
} from '@sluice/dead-letter-queue';

// How `sluice dlq` prints its results, for people (text lines) and scripts (JSON documents).

/**
 * Text from a record (headers, messages, keys) as a terminal may show it: control characters
 * (C0, DEL, C1: escape sequences could move the cursor, rewrite the screen or set the title) as
 * visible `\xNN` escapes. JSON output needs none: JSON escapes them itself.
 */
export function terminalSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

export function redriveJson(result: RedriveResult) {
  const { plan } = result;
  return {
    id: result.id,
    dryRun: result.dryRun,
    published: result.dryRun ? 0 : plan.copies.length,
    copies: plan.copies.map((c) => ({
      deadLetter: deadLetterId(c.letter),
      target: `${c.target.topic}/${c.target.partition}`,
      of: `${c.mark.of.topic}/${c.mark.of.partition}/${c.mark.of.offset}`,
      errorClass: c.letter.errorClass,
      ...(c.mark.parked !== undefined ? { parked: String(c.mark.parked) } : {}),
      ...(c.mark.release ? { releases: true } : {}),
    })),
    releases: plan.releases.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      key: r.key.toString('utf8'),
      failedOffset: String(r.failedOffset),
      through: String(r.through),
      records: r.records,
      missingFailedRecord: r.missingFailedRecord,
    })),
    skipped: plan.skipped,
  };
}

export function redriveLines(result: RedriveResult): string[] {
  const { plan } = result;
  const verb = result.dryRun ? 'would publish' : 'published';
  const byTarget = new Map<string, number>();
  for (const c of plan.copies)
    byTarget.set(
      `${c.target.topic}[${c.target.partition}]`,
      (byTarget.get(`${c.target.topic}[${c.target.partition}]`) ?? 0) + 1,
    );
  return [
    `redrive ${result.id}${result.dryRun ? ' (dry run)' : ''}: ${verb} ${plan.copies.length} dead letter(s)` +
      (byTarget.size > 0 ? ` to ${[...byTarget].map(([t, n]) => `${t} (${n})`).join(', ')}` : ''),
    ...plan.releases.map(
      (r) =>
        `  parked key '${terminalSafe(r.key.toString('utf8'))}' of ${r.topic}[${r.partition}] behind offset ${r.failedOffset}: ` +
        `${r.records} record(s) replayed in order, released once consumed unless more were parked after offset ${r.through} ` +
        `(then run redrive again)${r.missingFailedRecord ? '; its failed record is no longer in the DLQ' : ''}`,
    ),
    ...(plan.skipped.alreadyRedriven > 0
      ? [`  skipped ${plan.skipped.alreadyRedriven} already redriven (see dlq show)`]
      : []),
    ...(plan.skipped.noOrigin > 0
      ? [`  skipped ${plan.skipped.noOrigin} without an original topic in their headers`]
      : []),
    ...(plan.skipped.cut > 0
      ? [
          `  skipped ${plan.skipped.cut} cut to fit the DLQ topic (sluice.errors.omitted; with a parked key, its whole ` +
            'sequence): the original records are at the topic, partition and offset their headers name',
        ]
      : []),
  ];
}

export function showLines(d: RenderedDeadLetter): string[] {
  const bytes = (b: RenderedDeadLetter['key']) =>
    b === null
      ? 'null'
      : 'avro' in b
        ? JSON.stringify(b.avro)
        : 'text' in b
          ? JSON.stringify(b.text)
          : `base64:${b.base64}`;
  const lines = [
    `--- ${d.dlq.partition}/${d.dlq.offset}  ${d.timestamp}  from ${d.origin ?? '(unknown)'}  ${d.errorClass}` +
      (d.stage ? ` at ${d.stage}` : '') +
      (d.attempts !== undefined ? `, ${d.attempts} attempt(s)` : '') +
      (d.parkedBehind !== undefined ? `, parked behind offset ${d.parkedBehind}` : '') +
      (d.redrivenBy.length > 0 ? `  [redriven: ${d.redrivenBy.join(', ')}]` : ''),
    ...(d.message !== undefined ? [`  message: ${d.message.split('\n')[0]}`] : []),
    `  key: ${bytes(d.key)}`,
    `  value: ${bytes(d.value)}`,
    ...Object.entries(d.headers)
      .filter(([k]) => k !== '__connect.errors.exception.stacktrace')
      .map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(' | ') : v}`),
  ];
  return lines.map(terminalSafe);
}

export function auditLine(record: AuditRecord): string {
  return record.kind === 'redrive'
    ? `${record.at} redrive ${record.id} by ${record.actor}: ${record.count} dead letter(s), ${record.releases.length} key(s) released`
    : `${record.at} purge ${record.id} by ${record.actor}: ${record.count} dead letter(s) deleted`;
}

export function age(now: number, ms: number): string {
  let s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  s = s % 60;
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${m}m` : `${m}m${s}s`;
}
