import { readFileSync } from 'node:fs';
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
export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${end - 1}`);
}
