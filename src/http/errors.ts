/**
 * The one error type. Thrown from anywhere; the boundary (boundary.ts) turns it into a response.
 * `message` goes on the wire, so it must be safe: internal causes are logged, not put here.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: {
      /** Per-field messages of a 422, e.g. `{topic: ["must be user/<subject>/<verb>"]}`. */
      fields?: Record<string, string[]>;
      /** Headers the answer must carry (`Retry-After`, `Allow`, …). */
      headers?: Record<string, string>;
      /** The whole body, for route families with their own error shape (the Shopify resource). */
      body?: unknown;
    } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string) => new AppError(400, 'bad_request', message);

export const invalidJson = () => new AppError(400, 'invalid_json', 'The request body must be a JSON object.');

export const unauthorized = () =>
  new AppError(401, 'unauthorized', 'Missing or invalid bearer token.', {
    headers: { 'www-authenticate': 'Bearer' },
  });

export const forbidden = (message: string) => new AppError(403, 'forbidden', message);

export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found.`);

export const methodNotAllowed = (allow: string) =>
  new AppError(405, 'method_not_allowed', `Method not allowed; use ${allow}.`, {
    headers: { allow },
  });

export const conflict = (message: string) => new AppError(409, 'conflict', message);

export const payloadTooLarge = (maxBytes: number) =>
  new AppError(413, 'payload_too_large', `The request body exceeds ${maxBytes} bytes.`);

export const validationFailed = (fields: Record<string, string[]>) =>
  new AppError(422, 'validation_failed', `Invalid input: ${Object.keys(fields).join(', ')}.`, {
    fields,
  });

export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError(429, 'rate_limited', 'Too many requests; retry later.', {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

export const serviceUnavailable = (retryAfterSeconds: number, message: string) =>
  new AppError(503, 'unavailable', message, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
