import { type DeadLetter } from './dead-letter';
import { type DeadLetterFilter, keyTexts, matchesFilter } from './dead-letter-filter';

/**
 * The dead letters `filter` selects, in DLQ order. Keys are decoded (`decodeKey`, e.g. through the
 * registry) only when the filter names a key.
 */
export async function selectDeadLetters(
  letters: readonly DeadLetter[],
  filter: DeadLetterFilter,
  decodeKey?: (letter: DeadLetter) => Promise<unknown>,
): Promise<DeadLetter[]> {
  const selected: DeadLetter[] = [];
  for (const letter of letters) {
    const keys =
      filter.key === undefined ? [] : keyTexts(letter.key, decodeKey ? await decodeKey(letter) : undefined);
    if (matchesFilter(filter, letter, keys)) selected.push(letter);
  }
  return selected;
}
