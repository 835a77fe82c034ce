import { JSON_CONTENT_TYPE } from '../http/json';
import { requestOrigin, type RouteRequest } from '../http/route';
import { buildOpenApiDocument } from './document';
import type { OperationDescription } from './operation-types';

/** The document depends only on the origin; the last one built is kept (one per deployment, usually). */
let cached: { origin: string; text: string } | null = null;

/**
 * GET /api/v1/openapi.json: the management API's description, public like any API reference (it
 * holds no data and no secret), so client generators can fetch it without a token.
 */
export function getOpenApiDocument(request: RouteRequest, operations: Record<string, OperationDescription>): Response {
  const origin = requestOrigin(request);
  if (cached?.origin !== origin) cached = { origin, text: JSON.stringify(buildOpenApiDocument(origin, operations)) };
  return new Response(cached.text, { headers: { 'content-type': JSON_CONTENT_TYPE } });
}
