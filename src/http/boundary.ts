import { describeError, log } from '../log';
import { AppError } from './errors';
import { jsonResponse } from './json';

/**
 * The one error boundary, in the error shape of the route family that mounts it: an AppError
 * becomes its status, headers and body; anything else is logged with its stack and answered with
 * a generic 500 that reveals nothing. Each family router passes its shape as its `catch` stage.
 */
export interface ErrorShape {
  /** The body of a known error that brings no body of its own. */
  known(err: AppError): unknown;
  /** The body of the generic 500. */
  internal: unknown;
}

/** `{"error": {code, message, fields?}}`: edgehook's own routes. */
export const EDGEHOOK_ERRORS: ErrorShape = {
  known: (err) => ({
    error: {
      code: err.code,
      message: err.message,
      ...(err.options.fields ? { fields: err.options.fields } : {}),
    },
  }),
  internal: { error: { code: 'internal_error', message: 'Internal error; it has been logged.' } },
};

/** `{"errors": …}`: the Shopify-compatible Admin API. */
export const SHOPIFY_ERRORS: ErrorShape = {
  known: (err) => ({ errors: err.options.fields ?? err.message }),
  internal: { errors: 'Internal Server Error' },
};

/** The `catch` stage of a family router answering in `shape`. */
export function errorBoundary(shape: ErrorShape): (err: unknown, request: Request) => Response {
  return (err, request) => {
    if (err instanceof AppError) {
      return jsonResponse(err.options.body ?? shape.known(err), err.status, err.options.headers);
    }
    const path = new URL(request.url).pathname;
    log.error('unhandled error', { method: request.method, path, ...describeError(err) });
    return jsonResponse(shape.internal, 500);
  };
}
