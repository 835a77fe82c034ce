import * as v from 'valibot';
import { invalidJson, validationFailed } from './errors';

/**
 * Validates `input` (already parsed JSON) against a valibot object schema. A non-object is a 400;
 * schema issues become one 422 naming every bad field with its messages.
 */
export function parseBody<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidJson();
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const fields: Record<string, string[]> = {};
  for (const issue of result.issues) {
    const path = v.getDotPath(issue) ?? '(body)';
    (fields[path] ??= []).push(issueMessage(issue));
  }
  throw validationFailed(fields);
}

/** Plain wording for the two key-level issues whose default text reads like a type error. */
function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'object' || issue.type === 'strict_object') {
    if (issue.received === 'undefined') return 'is required';
    if (issue.expected === 'never') return 'is not a known field';
  }
  return issue.message;
}
