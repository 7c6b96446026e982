import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '@sluice/errors';
import { type CompatibilityLevel, isCompatibilityLevel } from '@sluice/schema';

/** One versioned schema file: `schemas/<subject>/v<N>.avsc`. */
export interface CatalogVersion {
  version: number;
  file: string;
  text: string;
}

/** A subject of Sluice's own events: its versions (ascending) and its compatibility level. */
export interface CatalogSubject {
  subject: string;
  compatibility: CompatibilityLevel;
  versions: CatalogVersion[];
}

const VERSION_FILE = /^v(\d+)\.avsc$/;

/**
 * The `schemas/` folder: one folder per subject (named as the subject, e.g.
 * `sluice.dlq.audit-value`), versioned files `v1.avsc`, `v2.avsc`, ..., and an optional
 * `subject.json` `{ "compatibility": "FULL" }` (default BACKWARD). Versions must be contiguous:
 * a published version is never renumbered or removed.
 */
export function loadSchemaCatalog(dir: string): CatalogSubject[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ConfigError(`${dir}: no such schemas folder`, dir);
  const subjects: CatalogSubject[] = [];
  for (const subject of readdirSync(dir).sort()) {
    const subjectDir = join(dir, subject);
    if (!statSync(subjectDir).isDirectory()) continue;
    const versions: CatalogVersion[] = [];
    for (const name of readdirSync(subjectDir)) {
      if (name === 'subject.json') continue;
      const match = VERSION_FILE.exec(name);
      const file = join(subjectDir, name);
      if (!match)
        throw new ConfigError(
          `${relative(process.cwd(), file)}: expected files named v<N>.avsc (and an optional subject.json)`,
          file,
        );
      versions.push({ version: Number(match[1]), file, text: readFileSync(file, 'utf8') });
    }
    versions.sort((a, b) => a.version - b.version);
    versions.forEach((v, i) => {
      if (v.version !== i + 1)
        throw new ConfigError(
          `${subjectDir}: versions must be v1..vN without gaps; v${i + 1} is missing`,
          subjectDir,
        );
    });
    if (versions.length === 0) throw new ConfigError(`${subjectDir}: holds no v<N>.avsc file`, subjectDir);
    subjects.push({ subject, compatibility: readCompatibility(subjectDir), versions });
  }
  return subjects;
}

function readCompatibility(subjectDir: string): CompatibilityLevel {
  const file = join(subjectDir, 'subject.json');
  if (!existsSync(file)) return 'BACKWARD';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`${file}: not valid JSON (${(cause as Error).message})`, file, undefined, {
      cause,
    });
  }
  const level = (parsed as { compatibility?: unknown })?.compatibility;
  if (!isCompatibilityLevel(level)) {
    throw new ConfigError(
      `${file}: at compatibility: expected one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE`,
      file,
      'compatibility',
    );
  }
  return level;
}
