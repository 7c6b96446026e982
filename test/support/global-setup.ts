import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStack, type PartName, stackLayout, startedParts } from '@sluice/stack';

/**
 * Global setup of the integration suites (node --test-global-setup): starts the parts of the local
 * stack that are not already answering and, at the end, stops exactly those.
 */
const projectRoot = join(__dirname, '..', '..', '..');
const stack = new LocalStack(stackLayout(projectRoot), {
  log: (line) => process.stderr.write(`[stack] ${line}\n`),
});
let startedHere: PartName[] = [];

export async function globalSetup(): Promise<void> {
  const parts: PartName[] = ['postgres', 'kafka'];
  if (existsSync(join(projectRoot, 'dist', 'apps', 'schema-registry', 'src', 'main.js')))
    parts.push('registry');
  const outcomes = await stack.up(parts);
  startedHere = startedParts(outcomes);
  process.stderr.write(`[stack] ${parts.map((p) => `${p}: ${outcomes[p]}`).join(', ')}\n`);
}

export async function globalTeardown(): Promise<void> {
  if (startedHere.length) {
    const stopped = await stack.down(startedHere);
    process.stderr.write(`[stack] stopped what the tests started: ${stopped.join(', ')}\n`);
  }
}
