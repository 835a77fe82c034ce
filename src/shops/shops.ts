import { primaryDb } from '../shards';
import { shardCount } from '../shards';
import * as v from 'valibot';
import { conflict, notFound } from '../http/errors';
import { publishCorsPolicy } from './cors-settings';
import {
  API_VERSION_PATTERN,
  isSupportedApiVersion,
  LATEST_STABLE_API_VERSION,
  SUPPORTED_API_VERSIONS,
} from './api-versions';
import { encryptSecret } from '../crypto';
import { newSigningSecret } from './signing-secrets';
import { MAX_SHOPIFY_ACCESS_TOKEN_CHARS, MAX_SHOPIFY_SECRET_CHARS, MAX_TIMEZONE_CHARS } from '../env';
import { canonicalTimeZone, isTimeZone } from '../time-zones';
import { nowIso } from '../time';
import {
  findShop,
  insertApp,
  insertShop,
  setShopifyAccessToken,
  setShopifySecret,
  updateShop,
  type AppRecord,
  type ShopRecord,
} from './store';
import { hashAccessToken, newAccessToken } from './tokens';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

const hostname = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.toLowerCase(),
  v.regex(HOSTNAME, 'must be a host name such as shop.example.com'),
);

/** An IANA time zone name (`Europe/Paris`), checked against the runtime's own zone database. */
const timezone = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.maxLength(MAX_TIMEZONE_CHARS, `is too long (at most ${MAX_TIMEZONE_CHARS} characters)`),
  v.check(isTimeZone, 'must be an IANA time zone such as Europe/Paris or UTC'),
  v.transform(canonicalTimeZone),
);

/** A Shopify Admin API access token (shpat_…); stored encrypted, never read back. */
const shopifyAccessToken = v.pipe(
  v.string('must be a string'),
  v.minLength(1, "can't be blank"),
  v.maxLength(MAX_SHOPIFY_ACCESS_TOKEN_CHARS, `is too long (at most ${MAX_SHOPIFY_ACCESS_TOKEN_CHARS} characters)`),
  v.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
);

export const createShopSchema = v.strictObject({
  myshopify_domain: v.pipe(hostname, v.regex(/\.myshopify\.com$/, 'must end in .myshopify.com')),
  primary_domain: v.optional(v.nullable(hostname), null),
  cors_allow_all: v.optional(v.boolean('must be true or false'), false),
  timezone: v.optional(timezone, 'UTC'),
  shopify_access_token: v.optional(v.nullable(shopifyAccessToken), null),
});

export const updateShopSchema = v.strictObject({
  primary_domain: v.optional(v.nullable(hostname)),
  cors_allow_all: v.optional(v.boolean('must be true or false')),
  /** The Shopify app's client secret, for POST /shopify/webhooks; null removes it. Never read back. */
  shopify_client_secret: v.optional(
    v.nullable(
      v.pipe(
        v.string('must be a string'),
        v.minLength(1, "can't be blank"),
        v.maxLength(MAX_SHOPIFY_SECRET_CHARS, `is too long (at most ${MAX_SHOPIFY_SECRET_CHARS} characters)`),
      ),
    ),
  ),
  timezone: v.optional(timezone),
  /** The shop's Admin API access token for the `shopify` action; null removes it. Never read back. */
  shopify_access_token: v.optional(v.nullable(shopifyAccessToken)),
});

/** PUT /api/v1/shop/shopify_access_token: an app sets its shop's Admin API access token. */
export const shopifyAccessTokenSchema = v.strictObject({ access_token: shopifyAccessToken });

export const createAppSchema = v.strictObject({
  name: v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.minLength(1, "can't be blank"),
    v.maxLength(255, 'is too long (at most 255 characters)'),
  ),
  api_version: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.regex(API_VERSION_PATTERN, 'must be YYYY-MM or unstable'),
      v.check(isSupportedApiVersion, `must be one of ${SUPPORTED_API_VERSIONS.join(', ')}`),
    ),
    LATEST_STABLE_API_VERSION,
  ),
});

/** Creates a shop and publishes its CORS policy; 409 when the myshopify domain is taken. */
export async function createShop(env: Env, input: v.InferOutput<typeof createShopSchema>): Promise<ShopRecord> {
  const now = nowIso();
  const fields = {
    id: crypto.randomUUID(),
    myshopifyDomain: input.myshopify_domain,
    primaryDomain: input.primary_domain,
    corsAllowAll: input.cors_allow_all,
    shopifySecretSet: false,
    shopifyAccessTokenSet: false,
    timezone: input.timezone,
    createdAt: now,
    updatedAt: now,
  };
  const shard = await insertShop(primaryDb(env), fields, shardCount(env));
  if (shard === null) throw conflict(`A shop with myshopify_domain ${fields.myshopifyDomain} already exists.`);
  const shop: ShopRecord = { ...fields, shard, paused: false };
  if (input.shopify_access_token !== null) {
    await storeShopifyAccessToken(env, shop.id, input.shopify_access_token, now);
    shop.shopifyAccessTokenSet = true;
  }
  await publishCorsPolicy(env, shop.id);
  return shop;
}

/** Changes a shop's primary domain or allow-all flag, then republishes its CORS policy. */
export async function changeShop(
  env: Env,
  shopId: string,
  input: v.InferOutput<typeof updateShopSchema>,
): Promise<ShopRecord> {
  const shop = await requireShop(env, shopId);
  const updated: ShopRecord = {
    ...shop,
    primaryDomain: input.primary_domain === undefined ? shop.primaryDomain : input.primary_domain,
    corsAllowAll: input.cors_allow_all ?? shop.corsAllowAll,
    timezone: input.timezone ?? shop.timezone,
    updatedAt: nowIso(),
  };
  if (!(await updateShop(primaryDb(env), updated))) throw notFound('Shop');
  if (input.shopify_client_secret !== undefined) {
    const secret = input.shopify_client_secret;
    await setShopifySecret(
      primaryDb(env),
      shop.id,
      secret && (await encryptSecret(env.SECRETS_KEY, secret)),
      updated.updatedAt,
    );
    updated.shopifySecretSet = secret !== null;
  }
  if (input.shopify_access_token !== undefined) {
    await storeShopifyAccessToken(env, shop.id, input.shopify_access_token, updated.updatedAt);
    updated.shopifyAccessTokenSet = input.shopify_access_token !== null;
  }
  await publishCorsPolicy(env, shop.id);
  return updated;
}

/** Stores (null: removes) the shop's Admin API access token, encrypted; 404 when the shop is gone. */
export async function storeShopifyAccessToken(
  env: Env,
  shopId: string,
  token: string | null,
  now: string = nowIso(),
): Promise<void> {
  const ciphertext = token && (await encryptSecret(env.SECRETS_KEY, token));
  if (!(await setShopifyAccessToken(primaryDb(env), shopId, ciphertext, now))) throw notFound('Shop');
}

export async function requireShop(env: Env, shopId: string): Promise<ShopRecord> {
  const shop = await findShop(primaryDb(env), shopId);
  if (shop === null) throw notFound('Shop');
  return shop;
}

/**
 * Creates an app for a shop with its first signing secret; the access token and the secret are
 * returned here and never again.
 */
export async function createApp(
  env: Env,
  shopId: string,
  input: v.InferOutput<typeof createAppSchema>,
): Promise<{ app: AppRecord; accessToken: string; signingSecret: string }> {
  const shop = await requireShop(env, shopId);
  const now = nowIso();
  const accessToken = newAccessToken();
  const app: AppRecord = {
    id: crypto.randomUUID(),
    shopId,
    shard: shop.shard,
    paused: shop.paused,
    name: input.name,
    apiVersion: input.api_version,
    createdAt: now,
    updatedAt: now,
  };
  const signingSecret = newSigningSecret();
  await insertApp(primaryDb(env), app, await hashAccessToken(accessToken), {
    id: crypto.randomUUID(),
    ciphertext: await encryptSecret(env.SECRETS_KEY, signingSecret),
  });
  return { app, accessToken, signingSecret };
}

export const shopToApi = (shop: ShopRecord) => ({
  id: shop.id,
  myshopify_domain: shop.myshopifyDomain,
  primary_domain: shop.primaryDomain,
  cors_allow_all: shop.corsAllowAll,
  shopify_client_secret_set: shop.shopifySecretSet,
  shopify_access_token_set: shop.shopifyAccessTokenSet,
  timezone: shop.timezone,
  shard: shop.shard,
  created_at: shop.createdAt,
  updated_at: shop.updatedAt,
});

export const appToApi = (app: AppRecord) => ({
  id: app.id,
  shop_id: app.shopId,
  name: app.name,
  api_version: app.apiVersion,
  created_at: app.createdAt,
  updated_at: app.updatedAt,
});
