import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../env';
import { validationFailed } from './errors';

/** A position in a list ordered by (created_at, id): opaque to clients. */
export interface Cursor {
  createdAt: string;
  id: string;
}

export interface PageRequest {
  limit: number;
  cursor: Cursor | null;
}

export function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.createdAt, cursor.id]))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function decodeCursor(text: string): Cursor | null {
  try {
    const parsed: unknown = JSON.parse(atob(text.replace(/-/g, '+').replace(/_/g, '/')));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through: reported as a validation error below
  }
  return null;
}

/** Reads `limit` (1–MAX_PAGE_LIMIT, default DEFAULT_PAGE_LIMIT) and `cursor`; bad values → 422. */
export function parsePageRequest(params: URLSearchParams): PageRequest {
  const fields: Record<string, string[]> = {};
  const limitText = params.get('limit');
  let limit = DEFAULT_PAGE_LIMIT;
  if (limitText !== null) {
    limit = /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
      fields['limit'] = [`must be an integer between 1 and ${MAX_PAGE_LIMIT}`];
    }
  }
  const cursorText = params.get('cursor');
  const cursor = cursorText === null ? null : decodeCursor(cursorText);
  if (cursorText !== null && cursor === null) fields['cursor'] = ['is not a cursor from this API'];
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  return { limit, cursor };
}

/**
 * Splits `limit + 1` fetched rows into the page and the cursor of the next page (null at the end).
 */
export function pageOf<T extends { createdAt: string; id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) };
}
