import { FAULT_KINDS } from './chaos-options';
import { type AppName, APP_NAMES } from './chaos-pipeline';
import { type ChaosOutcome, seconds } from './chaos-run';
import { type Stall } from './progress-track';

/** min / median / max of some durations (ms) as seconds, or `–`. */
export function spread(values: readonly number[]): string {
  if (values.length === 0) return '–';
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return `${seconds(sorted[0]!)} / ${seconds(median)} / ${seconds(sorted.at(-1)!)}`;
}

/** Recovery times (ms) of `app` after faults of `kind` (all affected apps when undefined). */
function recoveryTimes(outcome: ChaosOutcome, kind: string, app?: AppName): number[] {
  return outcome.recoveries
    .filter((w) => w.recoveredAt !== undefined && (app === undefined || w.app === app))
    .filter((w) => outcome.faults.find((f) => f.index === w.faultIndex)?.kind === kind)
    .map((w) => w.recoveredAt! - w.since);
}

/** For each fault, the time until every app it hit moved again (undefined: one never did). */
function pipelineRecovery(outcome: ChaosOutcome, index: number): number | undefined {
  const watches = outcome.recoveries.filter((w) => w.faultIndex === index);
  if (watches.length === 0 || watches.some((w) => w.recoveredAt === undefined)) return undefined;
  return Math.max(...watches.map((w) => w.recoveredAt! - w.since));
}

/** The summary as Markdown: it reads as well in a terminal as in bench/results. */
export function renderReport(outcome: ChaosOutcome, machine: Record<string, string> = {}): string {
  const o = outcome.options;
  const t0 = outcome.timeline.workloadStarted;
  const at = (ms: number | undefined) => (ms === undefined ? '–' : seconds(ms - t0));
  const lines: string[] = [
    `# Chaos run: ${outcome.ok ? 'PASSED' : 'FAILED'}`,
    '',
    `- **seed**: ${o.seed} (repeat: \`npm run chaos -- --seed ${o.seed} --faults ${o.faults} --duration ${o.durationSeconds}\`)`,
    `- **faults**: ${outcome.faults.filter((f) => f.injected).length} injected of ${outcome.faults.length} planned over ${o.durationSeconds} s of workload`,
    `- **workload**: ${o.rate} transactions/s asked; ${outcome.workload.committed} committed, ${outcome.workload.failed} failed (cut by faults), ${outcome.workload.reconnects} reconnects, ${seconds(outcome.timeline.workloadStopped - t0)} s`,
    `- **stall threshold** (liveness): ${seconds(o.stallThresholdMs)} s`,
    `- **run**: ${seconds(outcome.timeline.ended - outcome.timeline.started)} s in all`,
    ...Object.entries(machine).map(([k, v]) => `- **${k}**: ${v}`),
    '',
    '## Checks',
    '',
    ...outcome.checks.map((c) => `- ${c.ok ? 'ok' : '**FAIL**'} ${c.name}: ${c.detail}`),
    '',
    ...(outcome.explanations.length > 0
      ? ['## Rows the replica got wrong', '', ...outcome.explanations, '']
      : []),
    '## Recovery per fault kind',
    '',
    'Seconds from the fault until the app was seen making progress again (the source publishing or',
    'confirming, a consumer committing offsets), min / median / max; "pipeline" is the slowest app a',
    'fault hit.',
    '',
    `| fault | injected | pipeline | ${APP_NAMES.join(' | ')} |`,
    `| --- | ---: | --- | ${APP_NAMES.map(() => '---').join(' | ')} |`,
  ];
  for (const kind of FAULT_KINDS) {
    const faults = outcome.faults.filter((f) => f.kind === kind && f.injected);
    const pipeline = faults.map((f) => pipelineRecovery(outcome, f.index)).filter((v) => v !== undefined);
    lines.push(
      `| ${kind} | ${faults.length} | ${spread(pipeline)} | ${APP_NAMES.map((app) => spread(recoveryTimes(outcome, kind, app))).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    '## Faults',
    '',
    `| # | at (s) | fault | what happened | back after (s) | ${APP_NAMES.join(' | ')} |`,
  );
  lines.push(`| ---: | ---: | --- | --- | ---: | ${APP_NAMES.map(() => '---:').join(' | ')} |`);
  for (const f of outcome.faults) {
    const recovered = (app: AppName) => {
      const w = outcome.recoveries.find((r) => r.faultIndex === f.index && r.app === app);
      if (w === undefined) return '';
      return w.recoveredAt === undefined ? '**never**' : seconds(w.recoveredAt - w.since);
    };
    lines.push(
      `| ${f.index + 1} | ${at(f.injectedAt)} | ${f.kind} | ${f.injected ? f.detail : `NOT INJECTED: ${f.detail}`} | ${
        f.injectedAt && f.restoredAt ? seconds(f.restoredAt - f.injectedAt) : '–'
      } | ${APP_NAMES.map(recovered).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    '## Stalls',
    '',
    'Periods in which an app had work waiting and its progress marker did not move.',
    '',
  );
  lines.push(
    '| app | longest (s) | from–to (s) | waited on | /health/live | phase |',
    '| --- | ---: | --- | --- | --- | --- |',
  );
  for (const app of APP_NAMES) {
    const s = outcome.longestStall[app];
    lines.push(
      s === undefined
        ? `| ${app} | 0 | | | | |`
        : `| ${app} | ${seconds(s.durationMs)}${s.ongoing ? ' (ongoing)' : ''} | ${at(s.from)}–${at(s.to)} | ${s.waitingOn} | ${s.liveAnswers} | ${s.phases} |`,
    );
  }
  const listed = APP_NAMES.flatMap((app) => outcome.stalls[app]).sort((a, b) => b.durationMs - a.durationMs);
  if (listed.length > 0) {
    lines.push(
      '',
      'Every stall of 5 s or more, longest first, with the faults struck from 5 s before it to its end:',
      '',
    );
    for (const s of listed.slice(0, 20)) lines.push(`- ${describeStall(outcome, s)}`);
  }
  lines.push('', '## Exits nobody asked for', '');
  lines.push(
    'Each was started again after 1 s, as Kubernetes restarts a crashed container. Grouped by the last line of the log.',
    '',
  );
  let exits = 0;
  for (const app of APP_NAMES) {
    const byReason = new Map<string, { at: number; pid: number | undefined; logTail: string }[]>();
    for (const e of outcome.unplannedExits[app]) {
      const reason = e.logTail.split('\n').at(-1) ?? '';
      byReason.set(reason, [...(byReason.get(reason) ?? []), e]);
    }
    for (const [reason, list] of byReason) {
      exits += list.length;
      lines.push(
        `- ${app} x${list.length} (at ${list.map((e) => seconds(e.at - t0)).join(', ')} s): ${reason}; the end of the log of pid ${list[0]!.pid}:`,
        '',
        '```',
        ...list[0]!.logTail.split('\n'),
        '```',
        '',
      );
    }
  }
  if (exits === 0) lines.push('None: no app exited on its own.');
  if (outcome.livenessRestarts.length > 0)
    lines.push(
      '',
      `Restarted after a failing /health/live: ${outcome.livenessRestarts.map((r) => `${r.app} at ${at(r.at)} s`).join(', ')}.`,
    );
  if (outcome.registryRevivals.length > 0)
    lines.push(
      '',
      `The schema registry exited and was started again at ${outcome.registryRevivals.map((t) => `${at(t)} s`).join(', ')}.`,
    );
  return `${lines.join('\n')}\n`;
}

function describeStall(outcome: ChaosOutcome, s: Stall): string {
  const t0 = outcome.timeline.workloadStarted;
  const near = outcome.faults.filter(
    (f) => f.injectedAt !== undefined && f.injectedAt >= s.from - 5000 && f.injectedAt <= s.to,
  );
  return (
    `${s.app}: ${seconds(s.durationMs)} s (${seconds(s.from - t0)}–${seconds(s.to - t0)} s)${s.ongoing ? ', still stalled at the end' : ''}; ` +
    `waited on ${s.waitingOn}; /health/live ${s.liveAnswers}; phase ${s.phases}; pid ${s.pids}; ` +
    `faults: ${
      near.length
        ? near
            .slice(0, 6)
            .map((f) => `#${f.index + 1} ${f.kind} at ${seconds(f.injectedAt! - t0)} s`)
            .join(', ')
        : 'none'
    }${near.length > 6 ? ` and ${near.length - 6} more` : ''}; ` +
    `last status ${s.lastStatus ?? 'none'}`
  );
}
