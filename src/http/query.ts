import * as v from 'valibot';

/** Query-string readers for list filters; problems are collected into `fields` for one 422. */

const isoTimestamp = v.pipe(v.string(), v.isoTimestamp());

/** An ISO 8601 timestamp parameter, normalized to the stored form (UTC with ms), or undefined. */
export function queryTimestamp(
  params: URLSearchParams,
  name: string,
  fields: Record<string, string[]>,
): string | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!v.is(isoTimestamp, value)) {
    fields[name] = ['must be an ISO 8601 timestamp, e.g. 2026-11-22T10:15:00Z'];
    return undefined;
  }
  return new Date(value).toISOString();
}

/** A parameter that must be one of `allowed`, or undefined. */
export function queryChoice<T extends string>(
  params: URLSearchParams,
  name: string,
  allowed: readonly T[],
  fields: Record<string, string[]>,
): T | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    fields[name] = [`must be one of ${allowed.join(', ')}`];
    return undefined;
  }
  return value as T;
}
