import { sha256Hex } from '../crypto';

/** The ETag of a cache value's JSON text (strong; 128 bits of SHA-256). */
export async function cacheEtag(json: string): Promise<string> {
  return `"${(await sha256Hex(json)).slice(0, 32)}"`;
}

/** `If-None-Match`: `*` or a list of tags, compared weakly (RFC 9110 §13.1.2). */
export function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
