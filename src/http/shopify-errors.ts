import { AppError } from './errors';

/** An error answered in Shopify's shape, `{"errors": …}` (the Admin API families). */
export const shopifyError = (status: number, errors: unknown, code = 'shopify_error') =>
  new AppError(status, code, typeof errors === 'string' ? errors : 'Invalid request.', { body: { errors } });
