import { FatalRecordError } from '@sluice/errors';

/** The registry has no version under a subject. */
export function subjectNotFound(subject: string, cause?: unknown): FatalRecordError {
  return new FatalRecordError(`The registry has no schema under subject "${subject}"`, {
    cause,
    code: 'SUBJECT_NOT_FOUND',
  });
}
