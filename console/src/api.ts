// Calls to the management API with the session's token as a bearer header. Errors come back as
// ApiError with the server's own message (`{"error": {"message", "fields"}}`, or Shopify's
// `{"errors": …}` for the Webhook resource), so views can show what went wrong in words.
import { currentSession } from './session';

/** The Shopify-compatible resource's path version; any valid one serves the same behaviour. */
export const SHOPIFY_API_VERSION = 'unstable';

/** A refused API call: HTTP status and a message fit to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
let onUnauthorized: Listener = () => {};

/** Called when the server stops accepting the session's token (401). */
export function whenUnauthorized(listener: Listener): void {
  onUnauthorized = listener;
}

interface CallOptions {
  body?: unknown;
  /** Sends the token as X-Shopify-Access-Token (the Shopify Webhook resource) instead of bearer. */
  shopify?: boolean;
  /** Use this token instead of the session's (sign-in). */
  token?: string;
}

/** One API call; resolves with the parsed JSON body (null for 204). */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<T> {
  const token = options.token ?? currentSession()?.token;
  if (!token) throw new ApiError(401, 'Not signed in.');
  const headers: Record<string, string> = options.shopify
    ? { 'x-shopify-access-token': token }
    : { authorization: `Bearer ${token}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && options.token === undefined) onUnauthorized();
    throw new ApiError(response.status, errorMessage(response.status, parsed));
  }
  return parsed as T;
}

/** The server's error message in one line, with field messages when it gave some. */
export function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const error = record['error'];
    if (error && typeof error === 'object') {
      const { message, fields } = error as { message?: unknown; fields?: unknown };
      return [typeof message === 'string' ? message : `HTTP ${status}`, fieldsText(fields)].filter(Boolean).join(' ');
    }
    const errors = record['errors'];
    if (typeof errors === 'string') return errors;
    if (errors && typeof errors === 'object') return fieldsText(errors) || `HTTP ${status}`;
  }
  return `The server answered HTTP ${status}.`;
}

function fieldsText(fields: unknown): string {
  if (!fields || typeof fields !== 'object') return '';
  return Object.entries(fields as Record<string, unknown>)
    .map(([name, messages]) => `${name}: ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`)
    .join('; ');
}

/** Path segment encoding for ids taken from the page's hash or from the server. */
export const seg = (value: string | number): string => encodeURIComponent(String(value));
