import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What every command needs: where the project is and how to write for people or scripts. */
export interface CliContext {
  projectRoot: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The folder of Sluice's package.json, found upward from the compiled CLI. A package.json without
 * tsconfig.json beside it is a copy in the build output (dist/), not the project.
 */
export function findProjectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      existsSync(join(dir, 'tsconfig.json')) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'sluice'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find Sluice's package.json above ${from}`);
    dir = parent;
  }
}

export function defaultContext(): CliContext {
  return {
    projectRoot: findProjectRoot(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}
