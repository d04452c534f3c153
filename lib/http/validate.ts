import { z } from 'zod';
import { AppError, type FieldErrors } from './problem';

/** The field errors of a failed parse, keyed by field, as the problem+json "errors" member. */
function fieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.join('.') || '(body)';
    (errors[field] ??= []).push(issue.message);
  }
  return errors;
}

/** Parses input at the edge, or throws the 400 that tells the client which field is wrong. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  code: 'invalid_input' | 'invalid_query' = 'invalid_input',
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error);
  const detail = Object.values(errors).flat().join('; ');
  throw new AppError(code, detail, { errors });
}
