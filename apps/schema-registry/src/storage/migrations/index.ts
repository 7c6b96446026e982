import { InitialRegistrySchema1767225600000 } from './1767225600000-initial-registry-schema';

/** Every migration, oldest first; run at start-up, never `synchronize`. */
export const REGISTRY_MIGRATIONS = [InitialRegistrySchema1767225600000];
