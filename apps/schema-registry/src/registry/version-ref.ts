import { RegistryErrors } from '../errors/registry-error';

/** A version in a path: a number in [1, 2^31-1], or the latest one ("latest" or -1). */
export type VersionRef = number | 'latest';

const MAX_VERSION = 2 ** 31 - 1;

export function parseVersionRef(text: string): VersionRef {
  if (text === 'latest' || text === '-1') return 'latest';
  if (!/^[0-9]{1,10}$/.test(text)) throw RegistryErrors.invalidVersion(text);
  const value = Number(text);
  if (value < 1 || value > MAX_VERSION) throw RegistryErrors.invalidVersion(text);
  return value;
}
