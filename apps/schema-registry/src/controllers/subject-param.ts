import { type PipeTransform } from '@nestjs/common';
import { RegistryErrors } from '../errors/registry-error';

/** Longer subjects are refused: a topic name is at most 249 characters, a subject a few more. */
export const MAX_SUBJECT_LENGTH = 1000;

/**
 * The `:subject` of a route, checked before any handler stores or looks it up: Postgres refuses a
 * NUL in text and an index row over ~2.7 KB, which would answer 500 (50001) for what is the
 * caller's mistake. Confluent answers these 422 with error code 42208, invalid subject.
 */
export class SubjectParam implements PipeTransform<string, string> {
  transform(subject: string): string {
    if (subject.trim() === '') throw RegistryErrors.invalidSubject(subject, 'it is empty');
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\u0000-\u001f\u007f]/.test(subject))
      throw RegistryErrors.invalidSubject(subject, 'it contains a control character');
    if (subject.length > MAX_SUBJECT_LENGTH)
      throw RegistryErrors.invalidSubject(
        `${subject.slice(0, 40)}…`,
        `it is longer than ${MAX_SUBJECT_LENGTH} characters`,
      );
    return subject;
  }
}
