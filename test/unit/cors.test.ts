import { describe, expect, it } from 'vitest';
import type { ShopRecord } from '../../src/shops/store';
import { isOriginAllowed, normalizeOrigin } from '../../src/http/cors';
import { effectiveCorsPolicy } from '../../src/shops/cors-policy';

const shop: ShopRecord = {
  id: 's1',
  myshopifyDomain: 'demo.myshopify.com',
  primaryDomain: 'shop.example.com',
  corsAllowAll: false,
  shopifySecretSet: false,
  shopifyAccessTokenSet: false,
  timezone: 'UTC',
  shard: 0,
  paused: false,
  createdAt: '',
  updatedAt: '',
};

describe('normalizeOrigin', () => {
  it.each([
    ['https://Example.com', 'https://example.com'],
    ['https://example.com/', 'https://example.com'],
    ['https://example.com:443', 'https://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['*', '*'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });

  it.each([
    'example.com',
    'https://*.example.com',
    'https://example.com/path',
    'https://example.com?x=1',
    'https://user@example.com',
    'ftp://example.com',
    'javascript:alert(1)',
    '',
  ])('refuses %s', (input) => {
    expect(normalizeOrigin(input)).toBeNull();
  });
});

describe('effectiveCorsPolicy and isOriginAllowed', () => {
  it('allows the myshopify domain, the primary domain and additional origins, exactly', () => {
    const policy = effectiveCorsPolicy(shop, ['https://partner.example.org']);
    expect(policy.allowAll).toBe(false);
    for (const origin of ['https://demo.myshopify.com', 'https://shop.example.com', 'https://partner.example.org']) {
      expect(isOriginAllowed(policy, origin)).toBe(true);
    }
    for (const origin of [
      'http://demo.myshopify.com',
      'https://evil.myshopify.com',
      'https://shop.example.com.evil.com',
      'https://sub.shop.example.com',
      'https://demo.myshopify.com:8443',
      'null',
    ]) {
      expect(isOriginAllowed(policy, origin)).toBe(false);
    }
  });

  it('has no primary-domain origin when the shop has none', () => {
    const policy = effectiveCorsPolicy({ ...shop, primaryDomain: null }, []);
    expect(policy.origins).toEqual(['https://demo.myshopify.com']);
  });

  it('is allow-all with the flag or with the single entry "*"', () => {
    expect(effectiveCorsPolicy({ ...shop, corsAllowAll: true }, []).allowAll).toBe(true);
    const star = effectiveCorsPolicy(shop, ['*']);
    expect(star.allowAll).toBe(true);
    expect(star.origins).not.toContain('*');
    expect(isOriginAllowed(star, 'https://anything.test')).toBe(true);
  });
});
