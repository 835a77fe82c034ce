import { SHOPIFY_ACTION_ERROR_MAX_CHARS, SHOPIFY_ACTION_MAX_RESULT_CHARS } from '../../env';
import { parseExactJson } from '../../json/exact';
import { asObject } from './types';

/** Reading a GraphQL Admin API answer: its body, errors, userErrors, and what a run keeps of it. */

/**
 * The answer as the action run keeps it: whole up to SHOPIFY_ACTION_MAX_RESULT_CHARS, else without
 * `data` (a D1 row cannot hold a page of thousands of nodes, and the run must still be recorded).
 */
export function recordable(result: { data: unknown; errors: unknown; extensions: unknown }): Record<string, unknown> {
  const size = JSON.stringify(result).length;
  if (size <= SHOPIFY_ACTION_MAX_RESULT_CHARS) return result;
  return {
    ...result,
    data: null,
    data_omitted: `the answer was ${size} characters; data is kept up to ${SHOPIFY_ACTION_MAX_RESULT_CHARS}`,
  };
}

export function parseBody(text: string): Record<string, unknown> | null {
  try {
    return asObject(parseExactJson(text));
  } catch {
    return null;
  }
}

export const isThrottledError = (e: unknown): boolean =>
  asObject(asObject(e)?.['extensions'])?.['code'] === 'THROTTLED';

/** Messages of Shopify's `errors`: a string, an array of `{message}`, or an object of arrays (REST style). */
export function messagesOf(errors: unknown): string[] {
  if (typeof errors === 'string') return [errors];
  if (Array.isArray(errors)) {
    return errors.map((e) => {
      const message = asObject(e)?.['message'];
      return typeof message === 'string' ? message : JSON.stringify(e);
    });
  }
  const object = asObject(errors);
  return object ? Object.entries(object).map(([k, v]) => `${k}: ${JSON.stringify(v)}`) : [];
}

/** Every `userErrors` entry anywhere in `data`, as `field: message`. */
export function collectUserErrors(data: unknown): string[] {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    const object = asObject(value);
    if (!object) return;
    for (const [key, child] of Object.entries(object)) {
      if (key === 'userErrors' && Array.isArray(child)) {
        for (const e of child) {
          const entry = asObject(e);
          const field = Array.isArray(entry?.['field']) ? (entry['field'] as unknown[]).join('.') : null;
          const message = typeof entry?.['message'] === 'string' ? entry['message'] : JSON.stringify(e);
          out.push(field ? `${field}: ${message}` : message);
        }
      } else visit(child);
    }
  };
  visit(data);
  return out;
}

export const clip = (text: string) =>
  text.length > SHOPIFY_ACTION_ERROR_MAX_CHARS ? `${text.slice(0, SHOPIFY_ACTION_ERROR_MAX_CHARS)}…` : text;
