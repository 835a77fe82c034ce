import { XMLBuilder } from 'fast-xml-parser';
import { ExactNumber, parseExactJson } from '../json/exact';

/**
 * The body of a delivery: the event's data as JSON, or as XML the way Shopify (Rails `to_xml`)
 * writes it. Pure and deterministic, so every retry sends the same bytes.
 */

export type DeliveryFormat = 'json' | 'xml';

export interface Payload {
  body: Uint8Array;
  contentType: string;
}

const encoder = new TextEncoder();
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const xmlBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  format: true,
  indentBy: '  ',
});

/**
 * The body of a delivery from the event's stored JSON text. A JSON delivery without a `fields`
 * filter is that text unchanged — for `shopify/*` events the bytes Shopify sent — and everything
 * else is built from it parsed with its numbers' digits kept (docs/contracts.md, "Ids and
 * numbers").
 */
export function buildPayloadFromJson(
  dataJson: string,
  format: DeliveryFormat,
  fields: readonly string[],
  topic: string,
): Payload {
  if (format === 'json' && fields.length === 0) {
    return { body: encoder.encode(dataJson), contentType: 'application/json' };
  }
  return buildPayload(parseExactJson(dataJson), format, fields, topic);
}

export function buildPayload(data: unknown, format: DeliveryFormat, fields: readonly string[], topic: string): Payload {
  const selected = selectFields(data, fields);
  if (format === 'json') {
    return { body: encoder.encode(JSON.stringify(selected)), contentType: 'application/json' };
  }
  const root = xmlRootName(topic);
  const xml = XML_DECLARATION + xmlBuilder.build({ [root]: xmlNode(selected, root) });
  return { body: encoder.encode(xml), contentType: 'application/xml' };
}

/** Only the listed top-level keys of an object payload; anything else is sent whole. */
export function selectFields(data: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0 || !isPlainObject(data)) return data;
  const out: Record<string, unknown> = {};
  for (const field of fields) if (Object.hasOwn(data, field)) out[field] = data[field];
  return out;
}

/**
 * The root element: the topic's subject in the singular, dasherized (`orders/create` → `order`,
 * `inventory_levels/update` → `inventory-level`, `user/quote/request` → `quote`).
 */
export function xmlRootName(topic: string): string {
  const parts = topic.split('/');
  const subject = (parts[0] === 'user' || parts[0] === 'shopify' ? parts[1] : parts[0]) ?? 'event';
  return xmlName(singular(subject));
}

type XmlNode = string | Record<string, unknown>;

function xmlNode(value: unknown, name: string): XmlNode {
  if (value === null || value === undefined) return { '@_nil': 'true' };
  if (typeof value === 'boolean') return { '#text': String(value), '@_type': 'boolean' };
  if (typeof value === 'number') {
    return { '#text': String(value), '@_type': Number.isInteger(value) ? 'integer' : 'decimal' };
  }
  if (typeof value === 'string') return value;
  if (value instanceof ExactNumber) {
    return { '#text': value.text, '@_type': value.isInteger ? 'integer' : 'decimal' };
  }
  if (Array.isArray(value)) {
    const child = xmlName(singular(name));
    return value.length === 0
      ? { '@_type': 'array' }
      : { '@_type': 'array', [child]: value.map((item) => xmlNode(item, child)) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const element = xmlName(key);
    out[element] = xmlNode(item, element);
  }
  return out;
}

/**
 * Dasherized (`line_items` → `line-items`); characters an XML name cannot hold become `-`, and a
 * name that cannot start an element gets a leading `_`.
 */
function xmlName(key: string): string {
  const dashed = key.replace(/_/g, '-').replace(/[^A-Za-z0-9.-]/g, '-');
  return /^[A-Za-z]/.test(dashed) && !/^xml/i.test(dashed) ? dashed : `_${dashed}`;
}

function singular(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|us)$/.test(word)) return word;
  if (/(sh|ch|x|ss)es$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word)) return word.slice(0, -1);
  return word;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
