/**
 * multipart/form-data as Rack reads it (rack/multipart/parser.rb), for the rules docs/contracts.md
 * ("Event data in auto mode") takes from Rack. The runtime's `formData()` cannot be used: it
 * turns a file part with `filename=""` into a text field `""` (indistinguishable from an empty
 * input), and it reads backslashes in a quoted filename as escapes (`C:\Users\ada\cv.txt` →
 * `C:Usersadacv.txt`).
 */

/** One part: `filename` is null for a plain field, else Rack's normalised base name (maybe ""). */
export interface MultipartPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  body: Uint8Array;
}

/** Rack stops reading Content-Disposition parameters after this many. */
const MAX_DISPOSITION_PARAMS = 16;
/** Rack's `boundary` pattern: `boundary=` then up to a quote, semicolon or comma. */
const BOUNDARY_PARAM = /boundary="?([^";,]+)"?/i;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** The boundary of a multipart Content-Type, or null. */
export function multipartBoundary(contentType: string): string | null {
  return BOUNDARY_PARAM.exec(contentType)?.[1] ?? null;
}

/** The parts of a multipart body in order; null when the body is not well-formed multipart. */
export function parseMultipart(bytes: Uint8Array, boundary: string): MultipartPart[] | null {
  const dash = new TextEncoder().encode(`--${boundary}`);
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  // The first delimiter may follow a preamble; it starts the body or a line.
  let at = bytes.length >= dash.length && startsWith(bytes, dash, 0) ? 0 : indexOf(bytes, delimiter, 0);
  if (at === -1) return null;
  at += at === 0 ? dash.length : delimiter.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return parts; // closing `--`
    const lineEnd = indexOf(bytes, CRLF, at);
    if (lineEnd === -1) return null;
    const headEnd = indexOf(bytes, CRLFCRLF, lineEnd);
    if (headEnd === -1) return null;
    // With no headers, the CRLF ending the delimiter line is the first half of the blank line.
    const head = headEnd === lineEnd ? '' : latin1.decode(bytes.subarray(lineEnd + 2, headEnd));
    const bodyStart = headEnd + 4;
    const next = indexOf(bytes, delimiter, bodyStart - 2);
    if (next === -1) return null;
    parts.push(partOf(head, bytes.subarray(bodyStart, Math.max(bodyStart, next))));
    at = next + delimiter.length;
  }
}

const CRLF = new Uint8Array([0x0d, 0x0a]);
const CRLFCRLF = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a]);

function partOf(head: string, body: Uint8Array): MultipartPart {
  const headers = new Map<string, string>();
  // Folded header lines (obs-fold) are unfolded first, as Rack does.
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const contentType = headers.get('content-type') ?? null;
  const { name, filename } = dispositionParams(headers.get('content-disposition') ?? '');
  const base = filename === null ? null : normalizeFilename(filename);
  return {
    // Rack's fallback for a part without a name.
    name: name || base || `${contentType ?? 'text/plain'}[]`,
    filename: base,
    contentType,
    body,
  };
}

/** `name` and `filename` from a Content-Disposition value, parsed the way Rack does. */
function dispositionParams(disposition: string): { name: string | null; filename: string | null } {
  let rest = disposition.includes(';') ? disposition.slice(disposition.indexOf(';') + 1) : '';
  let name: string | null = null;
  let filename: string | null = null;
  for (let count = 0; rest.includes('=') && count < MAX_DISPOSITION_PARAMS; count++) {
    const eq = rest.indexOf('=');
    const param = rest.slice(0, eq).trim().toLowerCase();
    rest = rest.slice(eq + 1);
    let value = '';
    if (rest.startsWith('"')) {
      let i = 1;
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] !== '\\' || i + 1 >= rest.length) {
          value += rest[i];
          continue;
        }
        const escaped = rest[++i]!;
        // Rack keeps a filename's backslashes (Windows paths from IE); only `\"` is an escape there.
        value += param === 'filename' && escaped !== '"' ? `\\${escaped}` : escaped;
      }
      rest = rest.slice(i + 1);
    } else {
      const semi = rest.indexOf(';');
      value = (semi === -1 ? rest : rest.slice(0, semi)).trim();
      rest = semi === -1 ? '' : rest.slice(semi);
    }
    if (param === 'name') name = value;
    else if (param === 'filename') filename = value;
    const semi = rest.indexOf(';');
    rest = semi === -1 ? '' : rest.slice(semi + 1);
  }
  return { name, filename };
}

/**
 * Rack's `normalize_filename`: percent-decoded when every `%` starts a valid escape, read as UTF-8,
 * then the text after the last `/` or `\` (`../../etc/cv.txt` and `C:\Users\ada\cv.txt` → `cv.txt`).
 */
function normalizeFilename(raw: string): string {
  let name = raw;
  if ((name.match(/%.?.?/g) ?? []).every((s) => /^%[0-9a-f]{2}$/i.test(s))) {
    const bytes: number[] = [];
    for (let i = 0; i < name.length; i++) {
      if (name[i] === '%') {
        bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(name.charCodeAt(i) & 0xff);
      }
    }
    name = utf8.decode(new Uint8Array(bytes));
  } else {
    name = utf8.decode(Uint8Array.from(name, (c) => c.charCodeAt(0) & 0xff));
  }
  const segments = name.split(/[/\\]/);
  // Ruby's split drops trailing empty fields, so `dir/` has the base name `dir`.
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments[segments.length - 1] ?? '';
}

function startsWith(haystack: Uint8Array, needle: Uint8Array, at: number): boolean {
  for (let j = 0; j < needle.length; j++) if (haystack[at + j] !== needle[j]) return false;
  return true;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  for (
    let i = haystack.indexOf(first, from);
    i !== -1 && i + needle.length <= haystack.length;
    i = haystack.indexOf(first, i + 1)
  ) {
    if (startsWith(haystack, needle, i)) return i;
  }
  return -1;
}
