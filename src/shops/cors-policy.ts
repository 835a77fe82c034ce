import { findShop, type ShopRecord } from './store';
import type { CorsPolicy } from '../http/cors';
import { listCorsOrigins } from './cors-store';

/**
 * A shop's effective policy: allow-all (the flag, or the single entry `*`), else its myshopify
 * domain, its primary domain when set, and its additional origins.
 */
export function effectiveCorsPolicy(shop: ShopRecord, additional: readonly string[]): CorsPolicy {
  const origins = new Set([`https://${shop.myshopifyDomain}`]);
  if (shop.primaryDomain) origins.add(`https://${shop.primaryDomain}`);
  for (const origin of additional) if (origin !== '*') origins.add(origin);
  return { allowAll: shop.corsAllowAll || additional.includes('*'), origins: [...origins] };
}

/** Computes a shop's policy from D1; null when the shop does not exist. */
export async function loadCorsPolicy(db: D1Database, shopId: string): Promise<CorsPolicy | null> {
  const [shop, additional] = await Promise.all([findShop(db, shopId), listCorsOrigins(db, shopId)]);
  return shop && effectiveCorsPolicy(shop, additional);
}
