import { type TopicDrift } from './topic-drift';

/** What `TopicProvisioner.provision` found and did. Every declared topic appears in it. */
export interface ProvisioningReport {
  /** Topics that did not exist and were created as declared. */
  created: string[];
  /** Existing topics whose partition count was raised to the declared one (only when allowed). */
  increased: Array<{ name: string; from: number; to: number }>;
  /** Existing topics that match their declaration (after any increase). */
  unchanged: string[];
  /** Existing topics that still differ from their declaration, and how. Nothing was changed. */
  drifted: Array<{ name: string; drift: TopicDrift[] }>;
}

/** True when every declared topic now matches its declaration. */
export function isConformant(report: ProvisioningReport): boolean {
  return report.drifted.length === 0;
}
