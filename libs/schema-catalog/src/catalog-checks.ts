import { relative } from 'node:path';
import { canonicalAvroSchema, checkCompatibility, InvalidSchemaError } from '@sluice/schema';
import { type CatalogSubject } from './schema-catalog';
import { type RegistryApi } from './registry-api';

/** What is wrong with one subject, in sentences that name the file and the rule. */
export interface SubjectProblems {
  subject: string;
  problems: string[];
}

/**
 * The CI gate that needs no registry: every file is valid Avro, no version repeats the one before,
 * and each version is compatible with the earlier ones at the subject's level (the registry would
 * accept them in order).
 */
export function checkCatalog(subjects: readonly CatalogSubject[]): SubjectProblems[] {
  return subjects.map(({ subject, compatibility, versions }) => {
    const problems: string[] = [];
    const canonical: string[] = [];
    for (const v of versions) {
      const where = relative(process.cwd(), v.file);
      try {
        canonical.push(canonicalAvroSchema(v.text));
      } catch (err) {
        if (!(err instanceof InvalidSchemaError)) throw err;
        problems.push(
          `${where}: invalid Avro schema${err.location ? ` at ${err.location}` : ''}: ${err.message}`,
        );
        continue;
      }
      if (canonical.length > 1 && canonical.at(-1) === canonical.at(-2)) {
        problems.push(
          `${where}: is the same schema as v${v.version - 1}; a new version must change something`,
        );
        continue;
      }
      const earlier = versions.filter((e) => e.version < v.version).map((e) => e.text);
      if (earlier.length === 0 || problems.length > 0) continue;
      const verdict = checkCompatibility(v.text, earlier, compatibility, {
        versions: earlier.map((_, i) => i + 1),
      });
      if (!verdict.compatible)
        problems.push(
          `${where}: not ${compatibility} compatible with the earlier versions: ${verdict.messages.join('; ')}`,
        );
    }
    return { subject, problems };
  });
}

/** Where each local version stands in a registry. */
export interface SubjectDiff {
  subject: string;
  /** Local versions the registry has, with the registry's id and version number. */
  registered: Array<{ version: number; id: number; registryVersion: number }>;
  /** Local versions the registry does not have yet, in order. */
  pending: number[];
  /** For the first pending version: whether the registry would accept it, and why not. */
  verdict?: { compatible: boolean; messages: string[] };
  /** The subject's compatibility level in the registry. */
  registryCompatibility?: string;
}

export async function diffWithRegistry(
  subjects: readonly CatalogSubject[],
  api: RegistryApi,
): Promise<SubjectDiff[]> {
  const diffs: SubjectDiff[] = [];
  for (const { subject, versions } of subjects) {
    const diff: SubjectDiff = { subject, registered: [], pending: [] };
    for (const v of versions) {
      const found = await api.lookup(subject, v.text);
      if (found) diff.registered.push({ version: v.version, id: found.id, registryVersion: found.version });
      else diff.pending.push(v.version);
    }
    if (diff.pending.length > 0) {
      const first = versions.find((v) => v.version === diff.pending[0])!;
      diff.verdict = await api.testCompatibility(subject, first.text);
      diff.registryCompatibility = await api.compatibilityLevel(subject);
    }
    diffs.push(diff);
  }
  return diffs;
}

/** A registration the registry refused: the subject, the file and the registry's reasons. */
export class IncompatibleSchemaError extends Error {
  constructor(
    readonly subject: string,
    readonly file: string,
    readonly messages: string[],
  ) {
    super(
      `${subject}: ${relative(process.cwd(), file)} is not compatible with the registry's latest version: ${messages.join('; ')}`,
    );
  }
}

/**
 * Registers the local versions the registry does not have, oldest first, each only after the
 * registry said it is compatible. Returns the ids it registered.
 */
export async function registerCatalog(
  subjects: readonly CatalogSubject[],
  api: RegistryApi,
): Promise<Array<{ subject: string; version: number; id: number }>> {
  const done: Array<{ subject: string; version: number; id: number }> = [];
  for (const { subject, versions } of subjects) {
    for (const v of versions) {
      if (await api.lookup(subject, v.text)) continue;
      const verdict = await api.testCompatibility(subject, v.text);
      if (!verdict.compatible) throw new IncompatibleSchemaError(subject, v.file, verdict.messages);
      done.push({ subject, version: v.version, id: await api.register(subject, v.text) });
    }
  }
  return done;
}
