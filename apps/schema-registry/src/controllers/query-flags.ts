/** A boolean query parameter (`?deleted=true`); anything but "true" is false, as in Confluent. */
export function flag(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}
