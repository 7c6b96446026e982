import { readFileSync } from 'node:fs';

/**
 * Peak resident memory (VmHWM) of live process `pid` so far, in bytes, from /proc/<pid>/status
 * (Linux); undefined where it cannot be read.
 */
export function peakRssBytes(pid: number | undefined): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
