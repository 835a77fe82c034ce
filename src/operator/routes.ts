import { notFound } from '../http/errors';
import { findMove } from './moves-store';
import { moveShopSchema, moveToApi, startShopMove } from './moves';
import { primaryDb } from '../shards';
import type { AppRecord } from '../shops/store';
import { MAX_ADMIN_BODY_BYTES } from '../env';
import { readJsonBody } from '../http/body';
import { jsonResponse, noContent } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import type { RouteRequest } from '../http/route';
import { parseBody } from '../http/validate';
import {
  appToApi,
  changeShop,
  createApp,
  createAppSchema,
  createShop,
  createShopSchema,
  requireShop,
  shopifyAccessTokenSchema,
  shopToApi,
  storeShopifyAccessToken,
  updateShopSchema,
} from '../shops/shops';
import { addSigningSecret, retireAppSigningSecret, signingSecretToApi } from '../shops/secrets';
import { listApps, listShops, listSigningSecrets } from '../shops/store';

/** Shops and apps: the operator token (ADMIN_TOKEN) manages them; an app can read its own shop. */

export async function postShop(request: RouteRequest, env: Env): Promise<Response> {
  const input = parseBody(createShopSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  return jsonResponse({ shop: shopToApi(await createShop(env, input)) }, 201);
}

export async function getShops(request: RouteRequest, env: Env): Promise<Response> {
  const page = parsePageRequest(new URL(request.url).searchParams);
  const { items, nextCursor } = pageOf(await listShops(primaryDb(env), page.limit + 1, page.cursor), page.limit);
  return jsonResponse({ shops: items.map(shopToApi), next_cursor: nextCursor });
}

export async function getShop(request: RouteRequest, env: Env): Promise<Response> {
  return jsonResponse({ shop: shopToApi(await requireShop(env, request.params['shopId']!)) });
}

/** POST /api/v1/shops/{id}/move `{shard}`: starts moving the shop; the cron advances it. */
export async function postShopMove(request: RouteRequest, env: Env): Promise<Response> {
  const input = parseBody(moveShopSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  return jsonResponse({ move: moveToApi(await startShopMove(env, request.params['shopId']!, input)) }, 202);
}

/** GET /api/v1/shops/{id}/moves/{moveId}: a move's phase and progress. */
export async function getShopMove(request: RouteRequest, env: Env): Promise<Response> {
  const move = await findMove(primaryDb(env), request.params['shopId']!, Number(request.params['moveId']));
  if (move === null) throw notFound('Move');
  return jsonResponse({ move: moveToApi(move) });
}

export async function patchShop(request: RouteRequest, env: Env): Promise<Response> {
  const input = parseBody(updateShopSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  return jsonResponse({ shop: shopToApi(await changeShop(env, request.params['shopId']!, input)) });
}

export async function postApp(request: RouteRequest, env: Env): Promise<Response> {
  const input = parseBody(createAppSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  const { app, accessToken, signingSecret } = await createApp(env, request.params['shopId']!, input);
  return jsonResponse({ app: appToApi(app), access_token: accessToken, signing_secret: signingSecret }, 201);
}

export async function getApps(request: RouteRequest, env: Env): Promise<Response> {
  const shop = await requireShop(env, request.params['shopId']!);
  const page = parsePageRequest(new URL(request.url).searchParams);
  const rows = await listApps(primaryDb(env), shop.id, page.limit + 1, page.cursor);
  const { items, nextCursor } = pageOf(rows, page.limit);
  return jsonResponse({ apps: items.map(appToApi), next_cursor: nextCursor });
}

/** GET /api/v1/shop: the shop of the calling app. */
export async function getOwnShop(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  return jsonResponse({ shop: shopToApi(await requireShop(env, app.shopId)), app: appToApi(app) });
}

/** PUT /api/v1/shop/shopify_access_token: the app sets its shop's Admin API access token (never read back). */
export async function putShopifyAccessToken(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(shopifyAccessTokenSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  await storeShopifyAccessToken(env, app.shopId, input.access_token);
  return noContent();
}

/** DELETE /api/v1/shop/shopify_access_token: removes it; `shopify` actions then fail until a new one is set. */
export async function deleteShopifyAccessToken(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  await storeShopifyAccessToken(env, app.shopId, null);
  return noContent();
}

/** POST /api/v1/app/signing-secrets: a new signing secret, shown once; older ones stay active. */
export async function postSigningSecret(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const { record, secret } = await addSigningSecret(env, app.id);
  return jsonResponse({ signing_secret: signingSecretToApi(record), secret }, 201);
}

/** GET /api/v1/app/signing-secrets: the app's secrets, newest first, without their values. */
export async function getSigningSecrets(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  return jsonResponse({ signing_secrets: (await listSigningSecrets(primaryDb(env), app.id)).map(signingSecretToApi) });
}

/** DELETE /api/v1/app/signing-secrets/{id}: retires a secret (never the last active one). */
export async function deleteSigningSecret(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  await retireAppSigningSecret(env, app.id, request.params['id']!);
  return noContent();
}
