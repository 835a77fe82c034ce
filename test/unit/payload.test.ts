import { describe, expect, it } from 'vitest';
import { buildPayload, selectFields, xmlRootName } from '../../src/delivery/payload';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('delivery payloads', () => {
  it('sends JSON as the event data, with application/json', () => {
    const p = buildPayload({ a: 1, b: [true, null] }, 'json', [], 'user/quote/request');
    expect(p.contentType).toBe('application/json');
    expect(JSON.parse(text(p.body))).toEqual({ a: 1, b: [true, null] });
  });

  it('keeps only the listed top-level keys of an object payload', () => {
    expect(selectFields({ id: 1, email: 'a@b', note: 'x' }, ['id', 'note', 'missing'])).toEqual({ id: 1, note: 'x' });
    expect(selectFields([1, 2], ['id'])).toEqual([1, 2]);
    expect(selectFields('text', ['id'])).toBe('text');
    expect(selectFields({ id: 1 }, [])).toEqual({ id: 1 });
  });

  it.each([
    ['orders/create', 'order'],
    ['inventory_levels/update', 'inventory-level'],
    ['app/uninstalled', 'app'],
    ['customer_payment_methods/revoke', 'customer-payment-method'],
    ['user/quote/request', 'quote'],
    ['shopify/orders/paid', 'order'],
  ])('names the XML root of %s <%s>', (topic, root) => {
    expect(xmlRootName(topic)).toBe(root);
  });

  it('writes XML as Shopify does: declaration, dasherized keys, type attributes, nil, arrays', () => {
    const p = buildPayload(
      {
        id: 450789469,
        total_price: 12.5,
        taxes_included: false,
        note: null,
        email: 'bob & <alice>',
        line_items: [{ product_id: 1, title: 'Hat' }],
        tags: [],
        customer: { first_name: 'Bob' },
      },
      'xml',
      [],
      'orders/create',
    );
    expect(p.contentType).toBe('application/xml');
    const xml = text(p.body);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<order>')).toBe(true);
    expect(xml).toContain('<id type="integer">450789469</id>');
    expect(xml).toContain('<total-price type="decimal">12.5</total-price>');
    expect(xml).toContain('<taxes-included type="boolean">false</taxes-included>');
    expect(xml).toContain('<note nil="true"/>');
    expect(xml).toContain('<email>bob &amp; &lt;alice&gt;</email>');
    expect(xml).toMatch(
      /<line-items type="array">\s*<line-item>\s*<product-id type="integer">1<\/product-id>\s*<title>Hat<\/title>\s*<\/line-item>\s*<\/line-items>/,
    );
    expect(xml).toContain('<tags type="array"/>');
    expect(xml).toMatch(/<customer>\s*<first-name>Bob<\/first-name>\s*<\/customer>/);
    expect(xml.trimEnd().endsWith('</order>')).toBe(true);
  });

  it('turns keys no XML name can hold into safe element names', () => {
    const xml = text(
      buildPayload({ 'Phone Number': '5', '0': 'zero', 'a<b': 'x' }, 'xml', [], 'user/contact/create').body,
    );
    expect(xml).toContain('<Phone-Number>5</Phone-Number>');
    expect(xml).toContain('<_0>zero</_0>');
    expect(xml).toContain('<a-b>x</a-b>');
  });

  it('is deterministic: the same input gives the same bytes (retries resend the same body)', () => {
    const data = { b: 1, a: [1, 2.5], c: { d: null } };
    expect(buildPayload(data, 'xml', [], 'orders/create').body).toEqual(
      buildPayload(data, 'xml', [], 'orders/create').body,
    );
  });
});
