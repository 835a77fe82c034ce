import { describeError, log } from '../log';
import { AppError } from './errors';
import { jsonResponse } from './json';

/**
 * The one error boundary: an AppError becomes its status, headers and body; anything else is
 * logged with its stack and answered with a generic 500 that reveals nothing. Routes under
 * `/admin/api/` (the Shopify-compatible resource) answer in Shopify's `{"errors": …}` shape.
 */
export function errorResponse(err: unknown, request: Request): Response {
  if (err instanceof AppError) {
    const shopify = new URL(request.url).pathname.startsWith('/admin/api/');
    const body = err.options.body ?? (shopify ? { errors: err.options.fields ?? err.message } : undefined) ?? {
      error: {
        code: err.code,
        message: err.message,
        ...(err.options.fields ? { fields: err.options.fields } : {}),
      },
    };
    return jsonResponse(body, err.status, err.options.headers);
  }
  const url = new URL(request.url);
  log.error('unhandled error', { method: request.method, path: url.pathname, ...describeError(err) });
  if (url.pathname.startsWith('/admin/api/')) {
    return jsonResponse({ errors: 'Internal Server Error' }, 500);
  }
  return jsonResponse(
    { error: { code: 'internal_error', message: 'Internal error; it has been logged.' } },
    500,
  );
}
