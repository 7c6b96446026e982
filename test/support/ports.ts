import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

/** The lowest port handed out: above the well-known and registered ports the stack uses. */
const LOWEST = 20_000;
/** Handed out by this process already: not again, even if not bound yet. */
const handedOut = new Set<number>();

/**
 * The first port of the kernel's ephemeral range, where listeners on port 0 (other suites' apps)
 * and every outgoing connection get their ports. Linux's default is 32768.
 */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (Number(low) > LOWEST + 1000) return Number(low);
  } catch {
    // Not Linux: keep the default.
  }
  return 32_768;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback TCP port free now, for a process a test or bench starts and tells where to listen.
 * Chosen below the ephemeral range: a port the kernel picked for port 0 would be free again once
 * released, and another suite's app or any outgoing connection could be given it before the
 * process binds it (seen as a suite reading another app's /status).
 */
/**
 * Claims `port` for the whole test run (every test file is its own process): a port a suite was
 * handed stays its own even while nothing listens on it, e.g. a private broker's controller port
 * between a stop and a restart, which another suite's freePort could otherwise pick (seen in CI as
 * a restarted broker refusing its own controller port). `scripts/run-tests.js` names the folder.
 */
function claimedForRun(port: number): boolean {
  const folder = process.env.SLUICE_TEST_PORTS_DIR;
  if (!folder) return true;
  try {
    closeSync(openSync(join(folder, String(port)), 'wx'));
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port) || !(await canBind(port)) || !claimedForRun(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${end - 1}`);
}
