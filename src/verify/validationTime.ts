import { z } from 'zod';
import { SignetError } from '../errors.ts';

/*
 * The instant a verdict is asked for (`signet verify --at`, the API's `at`): an ISO 8601 date
 * and time with its offset, so the same text means the same instant wherever it is read.
 */

export const validationTimeSchema = z.iso
  .datetime({ offset: true })
  .describe(
    'Validate as of this instant (ISO 8601 with Z or an offset, e.g. 2031-06-01T00:00:00Z) instead of now',
  );

export function parseValidationTime(text: string): Date {
  if (!validationTimeSchema.safeParse(text).success) {
    throw new SignetError(
      'VALIDATION_TIME_INVALID',
      `"${text}" is not an ISO 8601 instant: give a date, a time and Z or an offset, e.g. 2031-06-01T00:00:00Z`,
    );
  }
  return new Date(text);
}
