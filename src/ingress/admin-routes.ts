import { primaryDb } from '../shards';
import type { AppRecord } from '../shops/store';
import { MAX_ADMIN_BODY_BYTES } from '../env';
import { readJsonBody } from '../http/body';
import { jsonResponse, noContent } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import { requestOrigin, type RouteRequest } from '../http/route';
import { parseBody } from '../http/validate';
import { changeCorsSettings, corsSettingsSchema, readCorsSettings } from '../shops/cors-settings';
import { listShopWebhooks } from './store';
import {
  changeWebhook,
  createWebhook,
  createWebhookSchema,
  removeWebhook,
  requireWebhook,
  updateWebhookSchema,
  webhookToApi,
} from './webhooks';

/** Management of a shop's webhooks and CORS settings, with an app access token. */

export async function postWebhook(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(createWebhookSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  const webhook = await createWebhook(env, app.shopId, input);
  return jsonResponse({ webhook: webhookToApi(webhook, requestOrigin(request)) }, 201);
}

export async function getWebhooks(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const page = parsePageRequest(new URL(request.url).searchParams);
  const rows = await listShopWebhooks(primaryDb(env), app.shopId, page.limit + 1, page.cursor);
  const { items, nextCursor } = pageOf(rows, page.limit);
  const origin = requestOrigin(request);
  return jsonResponse({ webhooks: items.map((w) => webhookToApi(w, origin)), next_cursor: nextCursor });
}

export async function getWebhook(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const webhook = await requireWebhook(env, app.shopId, request.params['id']!);
  return jsonResponse({ webhook: webhookToApi(webhook, requestOrigin(request)) });
}

export async function patchWebhook(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(updateWebhookSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  const webhook = await changeWebhook(env, app.shopId, request.params['id']!, input);
  return jsonResponse({ webhook: webhookToApi(webhook, requestOrigin(request)) });
}

export async function deleteIngressWebhookRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  await removeWebhook(env, app.shopId, request.params['id']!);
  return noContent();
}

export async function getCors(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  return jsonResponse({ cors: await readCorsSettings(env, app.shopId) });
}

export async function putCors(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(corsSettingsSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  return jsonResponse({ cors: await changeCorsSettings(env, app.shopId, input) });
}
