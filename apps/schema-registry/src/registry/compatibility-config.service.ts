import { Inject, Injectable } from '@nestjs/common';
import { type CompatibilityLevel, isCompatibilityLevel } from '@sluice/schema';
import { RegistryErrors } from '../errors/registry-error';
import { type Db, RegistryStore } from '../storage/registry-store';

/** The default global level from the configuration file, used until `PUT /config` sets one. */
export const DEFAULT_COMPATIBILITY = Symbol('DEFAULT_COMPATIBILITY');

const GLOBAL_SCOPE = '';

/** Reads a level from a request body: `{"compatibility": "..."}`, case-insensitive. */
export function parseLevelRequest(body: unknown): CompatibilityLevel {
  const raw = (body as { compatibility?: unknown } | null | undefined)?.compatibility;
  const level = typeof raw === 'string' ? raw.toUpperCase() : raw;
  if (!isCompatibilityLevel(level)) throw RegistryErrors.invalidCompatibilityLevel();
  return level;
}

/** Global and per-subject compatibility levels. */
@Injectable()
export class CompatibilityConfigService {
  constructor(
    private readonly store: RegistryStore,
    @Inject(DEFAULT_COMPATIBILITY) private readonly defaultLevel: CompatibilityLevel,
  ) {}

  /** The level that governs `subject`: its own, else the global one, else the default. */
  async effectiveLevel(db: Db, subject: string): Promise<CompatibilityLevel> {
    const levels = await this.store.levels(db, subject);
    return this.valid(levels.subject ?? levels.global);
  }

  async globalLevel(): Promise<CompatibilityLevel> {
    const levels = await this.store.levels(this.store.db, GLOBAL_SCOPE);
    return this.valid(levels.global);
  }

  async setGlobalLevel(level: CompatibilityLevel): Promise<void> {
    await this.store.setLevel(this.store.db, GLOBAL_SCOPE, level);
  }

  /** Back to the configured default; returns the level that was in force. */
  async resetGlobalLevel(): Promise<CompatibilityLevel> {
    return this.valid(await this.store.deleteLevel(this.store.db, GLOBAL_SCOPE));
  }

  async subjectLevel(subject: string, defaultToGlobal: boolean): Promise<CompatibilityLevel> {
    const levels = await this.store.levels(this.store.db, subject);
    if (levels.subject !== undefined) return this.valid(levels.subject);
    if (!defaultToGlobal) throw RegistryErrors.subjectCompatibilityNotConfigured(subject);
    return this.valid(levels.global);
  }

  async setSubjectLevel(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.store.setLevel(this.store.db, subject, level);
  }

  /** Removes the subject's own level; returns it. */
  async deleteSubjectLevel(subject: string): Promise<CompatibilityLevel> {
    const removed = await this.store.deleteLevel(this.store.db, subject);
    if (removed === undefined) throw RegistryErrors.subjectCompatibilityNotConfigured(subject);
    return this.valid(removed);
  }

  async deleteSubjectLevelIfAny(db: Db, subject: string): Promise<void> {
    await this.store.deleteLevel(db, subject);
  }

  private valid(stored: string | undefined): CompatibilityLevel {
    return isCompatibilityLevel(stored) ? stored : this.defaultLevel;
  }
}
