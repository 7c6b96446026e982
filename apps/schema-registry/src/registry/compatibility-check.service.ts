import { Injectable } from '@nestjs/common';
import { checkCompatibility } from '@sluice/schema';
import { RegistryErrors } from '../errors/registry-error';
import { RegistryStore } from '../storage/registry-store';
import { CompatibilityConfigService } from './compatibility-config.service';
import { type CandidateSchema } from './schema-request';
import { type VersionRef } from './version-ref';

export interface CompatibilityVerdict {
  is_compatible: boolean;
  messages?: string[];
}

/** `POST /compatibility/...`: would this schema be accepted, without registering it. */
@Injectable()
export class CompatibilityCheckService {
  constructor(
    private readonly store: RegistryStore,
    private readonly levels: CompatibilityConfigService,
  ) {}

  /**
   * Against "latest" (or no version): every live version, as the subject's level says (the
   * transitive levels look at all of them, the others at the newest). Against a version number:
   * that version only.
   */
  async check(
    subject: string,
    ref: VersionRef,
    candidate: CandidateSchema,
    verbose: boolean,
  ): Promise<CompatibilityVerdict> {
    const db = this.store.db;
    const live = await this.store.versions(db, subject, false);
    let previous: typeof live;
    if (ref === 'latest') {
      previous = live;
    } else {
      const row = live.find((v) => v.version === ref);
      if (!row) {
        if (live.length === 0) throw RegistryErrors.subjectNotFound(subject);
        throw RegistryErrors.versionNotFound(ref);
      }
      previous = [row];
    }
    const level = await this.levels.effectiveLevel(db, subject);
    const verdict = checkCompatibility(
      candidate.schema,
      previous.map((v) => v.schema),
      level,
      { versions: previous.map((v) => v.version) },
    );
    return verbose
      ? { is_compatible: verdict.compatible, messages: verdict.messages }
      : { is_compatible: verdict.compatible };
  }
}
