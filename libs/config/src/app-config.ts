import type { z } from 'zod';
import { ConfigError } from '@sluice/errors';
import { envString } from './environment';
import { loadConfigFile, parseConfig } from './load-config';

/**
 * The configuration file of an app process: `--config <file>` (or `--config=<file>`) on its
 * command line, else `SLUICE_CONFIG` (how containers and `sluice run` pass it), else none.
 */
export function configFileFromArgs(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError('--config needs a file name', 'argv', '--config');
      }
      return next;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  const fromEnv = envString('SLUICE_CONFIG', '');
  return fromEnv === '' ? undefined : fromEnv;
}

/**
 * Loads an app's configuration: the file named by argv/env validated by `schema`, or, without a
 * file, the schema's defaults (every setting has one) so an app starts against the local stack.
 */
export function loadAppConfig<S extends z.ZodType>(schema: S, argv: readonly string[]): z.output<S> {
  const file = configFileFromArgs(argv);
  return file === undefined ? parseConfig(schema, {}, { source: 'defaults' }) : loadConfigFile(schema, file);
}
