/**
 * Offset metadata that marks a committed offset as an operator's reset (`sluice replay --group`),
 * not a consumer's progress. A consumer that keeps its position elsewhere (sink-postgres keeps it
 * in the target database) reads the group's committed offset and this metadata when it claims a
 * partition, and takes the reset offset once per reset id.
 */
const PREFIX = 'sluice.reset:';

/** The metadata string committed with a reset's offsets. */
export function offsetResetMetadata(resetId: string): string {
  return `${PREFIX}${resetId}`;
}

/** The reset id a committed offset's metadata names, or undefined when it is no reset's. */
export function offsetResetId(metadata: string | null | undefined): string | undefined {
  if (!metadata?.startsWith(PREFIX)) return undefined;
  const id = metadata.slice(PREFIX.length);
  return id.length > 0 ? id : undefined;
}
