import type { FieldRow, FieldValue } from '../envelopes/aggregate/rows.ts';
import { type ErrorCode, type FieldProblem, pointer, SignetError } from '../errors.ts';
import { assertStorableText } from '../http/parseInput.ts';

/**
 * Field values a signer types in, checked against the field's type (pure). Signature,
 * initials, date, name and email fields are filled by the platform at finish.
 */
const MAX_TEXT_LENGTH = 2000;
const PLATFORM_FILLED = new Set(['signature', 'initials', 'dateSigned', 'name', 'email']);

export function parseFieldValues(
  input: unknown,
  ownFields: FieldRow[],
): { field: FieldRow; value: FieldValue }[] {
  assertStorableText(input);
  const values =
    typeof input === 'object' && input !== null ? (input as { values?: unknown }).values : undefined;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new SignetError('VALIDATION_FAILED', 'Send {"values": {fieldId: value}}', [
      { path: '/values', message: 'must be an object keyed by field id' },
    ]);
  }
  const problems: FieldProblem[] = [];
  const parsed: { field: FieldRow; value: FieldValue }[] = [];
  let code: ErrorCode = 'FIELD_VALUE_INVALID';
  for (const [fieldId, value] of Object.entries(values)) {
    const path = pointer('values', fieldId);
    const field = ownFields.find((f) => f.id === fieldId);
    if (!field) {
      code = 'FIELD_UNKNOWN';
      problems.push({ path, message: 'no such field for you on this envelope' });
      continue;
    }
    const problem = checkValue(field, value);
    if (problem) {
      if (PLATFORM_FILLED.has(field.type)) code = 'FIELD_NOT_EDITABLE';
      problems.push({ path, message: problem });
      continue;
    }
    parsed.push({ field, value: value as FieldValue });
  }
  if (problems.length > 0)
    throw new SignetError(code, 'Some field values were not accepted; see `errors`', problems);
  return parsed;
}

function checkValue(field: FieldRow, value: unknown): string | null {
  if (PLATFORM_FILLED.has(field.type)) return `a ${field.type} field is filled in when you finish`;
  if (value === null) return null;
  if (field.type === 'checkbox') return typeof value === 'boolean' ? null : 'must be true or false';
  if (typeof value !== 'string') return 'must be text';
  if (value.length > MAX_TEXT_LENGTH) return `must be at most ${MAX_TEXT_LENGTH} characters`;
  return null;
}

/** Required text must be non-empty and a required checkbox checked before finishing. */
export function checkRequiredFields(ownFields: FieldRow[]): void {
  const missing = ownFields.filter((field) => {
    if (!field.required || PLATFORM_FILLED.has(field.type)) return false;
    const value = field.value?.v;
    return field.type === 'checkbox' ? value !== true : typeof value !== 'string' || value.trim() === '';
  });
  if (missing.length > 0) {
    throw new SignetError(
      'FIELDS_REQUIRED',
      'Fill in every required field before finishing',
      missing.map((field) => ({
        path: pointer('values', field.id),
        message: `required ${field.type} field is empty`,
      })),
    );
  }
}
