import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU seconds (user + system) process `pid` has used so far, from /proc (Linux); with
 * `reapedChildren`, also that of its children it has waited for (a postmaster's exited backends).
 * 0 for a process that is gone.
 */
export function cpuSeconds(pid: number | undefined, reapedChildren = false): number {
  const fields = pid === undefined ? undefined : statFields(pid);
  if (!fields) return 0;
  // utime, stime, cutime, cstime are fields 14–17 of stat: 11–14 counted from the state.
  const own = Number(fields[11]) + Number(fields[12]);
  const children = reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
  return (own + children) / TICKS_PER_SECOND;
}

/** The parent pid of `pid`, or undefined. */
function parentOf(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : undefined;
}

/**
 * CPU seconds used so far by the Postgres server whose postmaster is `postmaster`: the postmaster
 * with every backend it reaped, plus its live children (a backend's time reaches the postmaster
 * only when it exits). 0 without a postmaster (a server this machine's stack did not start).
 */
export function postgresCpuSeconds(postmaster: number | undefined): number {
  if (postmaster === undefined) return 0;
  let total = cpuSeconds(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && parentOf(Number(entry)) === postmaster) total += cpuSeconds(Number(entry));
  }
  return total;
}

/** CPU seconds the whole machine spent busy (not idle nor waiting for I/O) so far, from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
    const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0);
    return (total - fields[3]! - fields[4]!) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
