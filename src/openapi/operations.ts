import { moveShopSchema } from '../operator/moves';
import type { OperationDescription, QueryFilter } from './operation-types';
import {
  deleteShopifyAccessToken,
  deleteSigningSecret,
  getApps,
  getOwnShop,
  getShop,
  getShops,
  getSigningSecrets,
  patchShop,
  postApp,
  postShop,
  postShopMove,
  getShopMove,
  postSigningSecret,
  putShopifyAccessToken,
} from '../operator/routes';
import {
  deleteCacheEndpointRoute,
  deleteCacheKey,
  getCacheEndpointRoute,
  getCacheEndpoints,
  getCacheKey,
  postCacheEndpoint,
  putCacheKey,
} from '../cache/routes';
import {
  getDeliveries,
  getDelivery,
  getDeliveryLimit,
  getDestinations,
  postDeliveryRetry,
  putDeliveryLimit,
  postSubscriptionReplay,
} from '../delivery/routes';
import { getEvent, getEvents, getEventsOfAllShops } from '../events/routes';
import {
  deleteIngressWebhookRoute,
  getCors,
  getWebhook,
  getWebhooks,
  patchWebhook,
  postWebhook,
  putCors,
} from '../ingress/admin-routes';
import { getOpenApiDocument } from './routes';
import {
  deleteTaskRoute,
  getEventTaskRuns,
  getTask,
  getTasks,
  patchTask,
  postTask,
  previewTask,
  setTaskEnabled,
} from '../tasks/routes';
import { createAppSchema, createShopSchema, shopifyAccessTokenSchema, updateShopSchema } from '../shops/shops';
import { putCacheSchema } from '../cache/routes';
import { createCacheEndpointSchema } from '../cache/endpoints';
import { deliveryLimitSchema, replaySchema, STATUSES as DELIVERY_STATUSES } from '../delivery/routes';
import { STATUSES as EVENT_STATUSES } from '../events/routes';
import { corsSettingsSchema } from '../shops/cors-settings';
import { createWebhookSchema, updateWebhookSchema } from '../ingress/webhooks';
import { createTaskSchema, previewSchema, updateTaskSchema } from '../tasks/tasks';

/**
 * The `/api/v1` route table, the one list of the management API's routes: each row's key is the
 * method and path (itty syntax), and the row holds the token it takes, its handler, and what the
 * OpenAPI document says that the validators cannot (summary, paging, filters, the response's
 * top-level keys). `routers/api-v1.ts` mounts every row and `document.ts` describes every row, so a
 * route cannot be served undescribed nor described unserved. Request bodies are the routes' own
 * valibot schemas, converted when the document is built.
 */

const timestamp = (name: string, what: string): QueryFilter => ({
  name,
  description: `${what} (ISO 8601, e.g. 2026-11-22T10:15:00Z).`,
  schema: { type: 'string', format: 'date-time' },
});
const text = (name: string, description: string): QueryFilter => ({ name, description, schema: { type: 'string' } });

const conflict = (description: string) => ({ status: 409, description });
const cacheCopyFailed = { status: 503, description: 'The KV copy could not be written; retry (Retry-After).' };

/** Keys are `METHOD path` exactly as mounted in the router (itty-router syntax). */
/** The filters of an events list, the app's own and the operator's across every shop alike. */
const EVENT_FILTERS: QueryFilter[] = [
  text('topic', 'Only events of this topic.'),
  {
    name: 'status',
    description: 'Only events in this state.',
    schema: { type: 'string', enum: [...EVENT_STATUSES] },
  },
  text('webhook_request_id', 'Only the event of this ingress request (the x-request-id answer header).'),
  timestamp('created_at_min', 'Only events created at or after this time'),
  timestamp('created_at_max', 'Only events created at or before this time'),
  { name: 'include', description: "`data` adds each event's data.", schema: { type: 'string', enum: ['data'] } },
];

export const API_OPERATIONS: Record<string, OperationDescription> = {
  'GET /api/v1/openapi.json': {
    handler: (request) => getOpenApiDocument(request, API_OPERATIONS),
    summary: 'This document: the management API in OpenAPI 3.1',
    tag: 'Meta',
    auth: 'none',
    status: 200,
  },

  'GET /api/v1/shops': {
    handler: getShops,
    summary: 'List shops, oldest first',
    tag: 'Shops',
    auth: 'operator',
    status: 200,
    list: 'shops',
  },
  'POST /api/v1/shops': {
    handler: postShop,
    summary: 'Create a shop',
    tag: 'Shops',
    auth: 'operator',
    body: createShopSchema,
    status: 201,
    returns: { shop: 'object' },
    errors: [conflict('A shop with this myshopify_domain exists.')],
  },
  'GET /api/v1/shops/:shopId': {
    handler: getShop,
    summary: 'Show a shop',
    tag: 'Shops',
    auth: 'operator',
    status: 200,
    returns: { shop: 'object' },
  },
  'POST /api/v1/shops/:shopId/move': {
    handler: postShopMove,
    summary:
      "Move a shop's per-shop rows to another shard (pauses its processing while they are copied; the cron advances the move)",
    tag: 'Shops',
    auth: 'operator',
    body: moveShopSchema,
    status: 202,
    returns: { move: 'object' },
    errors: [conflict('The shop is already being moved.')],
  },
  'GET /api/v1/shops/:shopId/moves/:moveId': {
    handler: getShopMove,
    summary: "A shop move's phase and progress",
    tag: 'Shops',
    auth: 'operator',
    status: 200,
    returns: { move: 'object' },
    pathTypes: { moveId: 'integer' },
  },
  'PATCH /api/v1/shops/:shopId': {
    handler: patchShop,
    summary:
      'Change a shop (primary domain, CORS allow-all, time zone; Shopify client secret and Admin API access token: write-only)',
    tag: 'Shops',
    auth: 'operator',
    body: updateShopSchema,
    status: 200,
    returns: { shop: 'object' },
  },
  'GET /api/v1/shops/:shopId/apps': {
    handler: getApps,
    summary: "List a shop's apps",
    tag: 'Apps',
    auth: 'operator',
    status: 200,
    list: 'apps',
  },
  'POST /api/v1/shops/:shopId/apps': {
    handler: postApp,
    summary: 'Create an app; its access token and signing secret are shown only in this answer',
    tag: 'Apps',
    auth: 'operator',
    body: createAppSchema,
    status: 201,
    returns: { app: 'object', access_token: 'string', signing_secret: 'string' },
  },

  'GET /api/v1/shop': {
    handler: getOwnShop,
    summary: "The calling app's shop and the app",
    tag: 'Apps',
    auth: 'app',
    status: 200,
    returns: { shop: 'object', app: 'object' },
  },
  'PUT /api/v1/shop/shopify_access_token': {
    handler: putShopifyAccessToken,
    summary: "Set the shop's Shopify Admin API access token for the shopify action (write-only)",
    tag: 'Apps',
    auth: 'app',
    body: shopifyAccessTokenSchema,
    status: 204,
  },
  'DELETE /api/v1/shop/shopify_access_token': {
    handler: deleteShopifyAccessToken,
    summary: "Remove the shop's Shopify Admin API access token",
    tag: 'Apps',
    auth: 'app',
    status: 204,
  },
  'GET /api/v1/app/signing-secrets': {
    handler: getSigningSecrets,
    summary: "The app's signing secrets, newest first, without their values",
    tag: 'Signing secrets',
    auth: 'app',
    status: 200,
    returns: { signing_secrets: 'array' },
  },
  'POST /api/v1/app/signing-secrets': {
    handler: postSigningSecret,
    summary: 'Add a signing secret (shown once); older ones stay active',
    tag: 'Signing secrets',
    auth: 'app',
    status: 201,
    returns: { signing_secret: 'object', secret: 'string' },
  },
  'DELETE /api/v1/app/signing-secrets/:id': {
    handler: deleteSigningSecret,
    summary: 'Retire a signing secret',
    tag: 'Signing secrets',
    auth: 'app',
    status: 204,
    errors: [conflict('The last active secret cannot be retired.')],
  },

  'GET /api/v1/webhooks': {
    handler: getWebhooks,
    summary: "List the shop's webhooks, oldest first",
    tag: 'Webhooks',
    auth: 'app',
    status: 200,
    list: 'webhooks',
  },
  'POST /api/v1/webhooks': {
    handler: postWebhook,
    summary: 'Create a webhook; the answer carries its public URL',
    tag: 'Webhooks',
    auth: 'app',
    body: createWebhookSchema,
    status: 201,
    returns: { webhook: 'object' },
  },
  'GET /api/v1/webhooks/:id': {
    handler: getWebhook,
    summary: 'Show a webhook',
    tag: 'Webhooks',
    auth: 'app',
    status: 200,
    returns: { webhook: 'object' },
  },
  'PATCH /api/v1/webhooks/:id': {
    handler: patchWebhook,
    summary: 'Change a webhook',
    tag: 'Webhooks',
    auth: 'app',
    body: updateWebhookSchema,
    status: 200,
    returns: { webhook: 'object' },
  },
  'DELETE /api/v1/webhooks/:id': {
    handler: deleteIngressWebhookRoute,
    summary: 'Delete a webhook',
    tag: 'Webhooks',
    auth: 'app',
    status: 204,
  },
  'GET /api/v1/cors': {
    handler: getCors,
    summary: "The shop's CORS settings and the policy they produce",
    tag: 'CORS',
    auth: 'app',
    status: 200,
    returns: { cors: 'object' },
  },
  'PUT /api/v1/cors': {
    handler: putCors,
    summary: 'Change the allow-all flag and/or replace the additional origins',
    tag: 'CORS',
    auth: 'app',
    body: corsSettingsSchema,
    status: 200,
    returns: { cors: 'object' },
  },

  'GET /api/v1/events': {
    handler: getEvents,
    summary: "List the shop's events, newest first",
    tag: 'Events',
    auth: 'app',
    status: 200,
    list: 'events',
    filters: EVENT_FILTERS,
  },
  'GET /api/v1/operator/events': {
    handler: getEventsOfAllShops,
    summary: "List every shop's events, newest first, across all shards (for example the dead ones)",
    tag: 'Events',
    auth: 'operator',
    status: 200,
    list: 'events',
    filters: EVENT_FILTERS,
  },
  'GET /api/v1/events/:id': {
    handler: getEvent,
    summary: 'Show an event with its data',
    tag: 'Events',
    auth: 'app',
    status: 200,
    returns: { event: 'object' },
  },
  'GET /api/v1/events/:id/task_runs': {
    handler: getEventTaskRuns,
    summary: "The event's task runs, each with its action runs",
    tag: 'Tasks',
    auth: 'app',
    status: 200,
    returns: { task_runs: 'array' },
  },

  'GET /api/v1/deliveries': {
    handler: getDeliveries,
    summary: "List the app's deliveries, newest first",
    tag: 'Deliveries',
    auth: 'app',
    status: 200,
    list: 'deliveries',
    filters: [
      {
        name: 'subscription_id',
        description: 'Only deliveries of this subscription.',
        schema: { type: 'integer', minimum: 1 },
      },
      text('event_id', 'Only deliveries of this event.'),
      {
        name: 'status',
        description: 'Only deliveries in this state.',
        schema: { type: 'string', enum: [...DELIVERY_STATUSES] },
      },
      timestamp('created_at_min', 'Only deliveries created at or after this time'),
      timestamp('created_at_max', 'Only deliveries created at or before this time'),
    ],
  },
  'GET /api/v1/deliveries/:id': {
    handler: getDelivery,
    summary: 'Show a delivery with every attempt',
    tag: 'Deliveries',
    auth: 'app',
    status: 200,
    returns: { delivery: 'object' },
  },
  'POST /api/v1/deliveries/:id/retry': {
    handler: postDeliveryRetry,
    summary: 'One more attempt now, whatever its state',
    tag: 'Deliveries',
    auth: 'app',
    status: 202,
    returns: { delivery_id: 'string', attempt: 'integer' },
  },
  'GET /api/v1/subscriptions/:id/delivery_limit': {
    handler: getDeliveryLimit,
    summary: "A subscription's own limit on deliveries per second to its destination (null: the deployment's)",
    tag: 'Deliveries',
    auth: 'app',
    status: 200,
    returns: { subscription_id: 'integer', max_deliveries_per_second: 'json' },
    pathTypes: { id: 'integer' },
  },
  'PUT /api/v1/subscriptions/:id/delivery_limit': {
    handler: putDeliveryLimit,
    summary: 'Set (or, with null, remove) a subscription’s limit on deliveries per second to its destination',
    tag: 'Deliveries',
    auth: 'app',
    body: deliveryLimitSchema,
    status: 200,
    returns: { subscription_id: 'integer', max_deliveries_per_second: 'json' },
    pathTypes: { id: 'integer' },
  },
  'GET /api/v1/destinations': {
    handler: getDestinations,
    summary: "List the app's destinations (hosts it delivers to) with rate limit and circuit breaker",
    tag: 'Deliveries',
    auth: 'app',
    status: 200,
    list: 'destinations',
    filters: [
      {
        name: 'paused',
        description: 'true: only destinations whose circuit breaker is open (deliveries held).',
        schema: { type: 'string', enum: ['true', 'false'] },
      },
    ],
  },
  'POST /api/v1/subscriptions/:id/replay': {
    handler: postSubscriptionReplay,
    summary: 'Attempt again every failed delivery of a subscription since a time',
    tag: 'Deliveries',
    auth: 'app',
    body: replaySchema,
    status: 202,
    returns: { replayed: 'integer', delivery_ids: 'array' },
    pathTypes: { id: 'integer' },
  },

  'GET /api/v1/tasks': {
    handler: getTasks,
    summary: "List the shop's tasks, oldest first",
    tag: 'Tasks',
    auth: 'app',
    status: 200,
    list: 'tasks',
  },
  'POST /api/v1/tasks': {
    handler: postTask,
    summary: 'Create a task (subscriptions and the Liquid script are checked: 422 names the line)',
    tag: 'Tasks',
    auth: 'app',
    body: createTaskSchema,
    status: 201,
    returns: { task: 'object' },
  },
  'GET /api/v1/tasks/:id': {
    handler: getTask,
    summary: 'Show a task',
    tag: 'Tasks',
    auth: 'app',
    status: 200,
    returns: { task: 'object' },
  },
  'PATCH /api/v1/tasks/:id': {
    handler: patchTask,
    summary: 'Change a task (re-validated as a whole)',
    tag: 'Tasks',
    auth: 'app',
    body: updateTaskSchema,
    status: 200,
    returns: { task: 'object' },
  },
  'DELETE /api/v1/tasks/:id': {
    handler: deleteTaskRoute,
    summary: 'Delete a task',
    tag: 'Tasks',
    auth: 'app',
    status: 204,
  },
  'POST /api/v1/tasks/:id/enable': {
    handler: setTaskEnabled(true),
    summary: 'Switch a task on',
    tag: 'Tasks',
    auth: 'app',
    status: 200,
    returns: { task: 'object' },
  },
  'POST /api/v1/tasks/:id/disable': {
    handler: setTaskEnabled(false),
    summary: 'Switch a task off',
    tag: 'Tasks',
    auth: 'app',
    status: 200,
    returns: { task: 'object' },
  },
  'POST /api/v1/tasks/:id/preview': {
    handler: previewTask,
    summary: 'Render the task (or the given script/options) against a sample event; performs and stores nothing',
    tag: 'Tasks',
    auth: 'app',
    body: previewSchema,
    bodyOptional: true,
    status: 200,
    returns: { preview: 'object' },
  },

  'GET /api/v1/cache_endpoints': {
    handler: getCacheEndpoints,
    summary: "List the shop's cache endpoints",
    tag: 'Cache',
    auth: 'app',
    status: 200,
    list: 'cache_endpoints',
  },
  'POST /api/v1/cache_endpoints': {
    handler: postCacheEndpoint,
    summary: 'Create a public read URL (/cache/{token}) for one cache key',
    tag: 'Cache',
    auth: 'app',
    body: createCacheEndpointSchema,
    status: 201,
    returns: { cache_endpoint: 'object' },
  },
  'GET /api/v1/cache_endpoints/:token': {
    handler: getCacheEndpointRoute,
    summary: 'Show a cache endpoint',
    tag: 'Cache',
    auth: 'app',
    status: 200,
    returns: { cache_endpoint: 'object' },
  },
  'DELETE /api/v1/cache_endpoints/:token': {
    handler: deleteCacheEndpointRoute,
    summary: 'Delete a cache endpoint',
    tag: 'Cache',
    auth: 'app',
    status: 204,
  },
  'GET /api/v1/cache/:key+': {
    handler: getCacheKey,
    summary: 'Read a cache key (the key may contain /)',
    tag: 'Cache',
    auth: 'app',
    status: 200,
    returns: { key: 'string', value: 'json', expires_at: 'string | null' },
  },
  'PUT /api/v1/cache/:key+': {
    handler: putCacheKey,
    summary: 'Set a cache key (the key may contain /)',
    tag: 'Cache',
    auth: 'app',
    body: putCacheSchema,
    status: 200,
    returns: { key: 'string', value: 'json', expires_at: 'string | null' },
    errors: [cacheCopyFailed],
  },
  'DELETE /api/v1/cache/:key+': {
    handler: deleteCacheKey,
    summary: 'Delete a cache key (the key may contain /)',
    tag: 'Cache',
    auth: 'app',
    status: 204,
    errors: [cacheCopyFailed],
  },
};
