import { MAX_PARAM_COUNT, MAX_PARAM_DEPTH } from '../env';

/**
 * Rails/Rack-style nested parameters (`a[b][]=1`), a port of Rack 3's
 * `QueryParser#normalize_params` so storefront forms produce the structures Mechanic users expect.
 * Objects are created without a prototype so keys like `__proto__` are plain data.
 */
export type Params = Record<string, unknown>;

/** Input that Rack would refuse (type clash, too deep, too many, bad escapes). */
export class ParamsError extends Error {
  override readonly name = 'ParamsError';
}

export const makeParams = (): Params => Object.create(null) as Params;

export const isParams = (value: unknown): value is Params =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses `a=1&b[c]=2` into nested params. Returns null when the input is unparsable
 * (docs/contracts.md, "Nested parameters": the body then counts as having no parameters), never
 * throws.
 */
export function parseNestedQuery(text: string): Params | null {
  try {
    const params = makeParams();
    if (text === '') return params;
    const pairs = text.split(/& */);
    if (pairs.length > MAX_PARAM_COUNT) throw new ParamsError('too many parameters');
    for (const pair of pairs) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = unescapeComponent(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? null : unescapeComponent(pair.slice(eq + 1));
      normalizeParams(params, name, value, 0);
    }
    return params;
  } catch (err) {
    if (err instanceof ParamsError || err instanceof URIError) return null;
    throw err;
  }
}

/** `application/x-www-form-urlencoded` unescaping: `+` is a space, then percent-decoding. */
function unescapeComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/**
 * Adds one `name=value` to `params` the way Rack does. Exported for multipart fields, which
 * follow the same naming rules. Throws ParamsError on a type clash or excessive depth.
 */
export function normalizeParams(
  params: Params,
  name: string,
  value: unknown,
  depth: number,
): Params | unknown[] | undefined {
  if (depth >= MAX_PARAM_DEPTH) throw new ParamsError('parameters nested too deeply');

  let key: string;
  let after: string;
  let close: number;
  if (depth === 0) {
    // Start of parsing: a leading `[` is part of the key.
    const open = name.indexOf('[', 1);
    key = open === -1 ? name : name.slice(0, open);
    after = open === -1 ? '' : name.slice(open);
  } else if (name.startsWith('[]')) {
    key = '[]';
    after = name.slice(2);
  } else if (name.startsWith('[') && (close = name.indexOf(']', 1)) !== -1) {
    key = name.slice(1, close);
    after = name.slice(close + 1);
  } else {
    // Malformed nesting: Rack keeps the whole name as the key.
    key = name;
    after = '';
  }

  if (key === '') return undefined;

  if (after === '') {
    if (key === '[]' && depth !== 0) return [value];
    params[key] = value;
  } else if (after === '[') {
    params[name] = value;
  } else if (after === '[]') {
    arrayAt(params, key).push(value);
  } else if (after.startsWith('[]')) {
    // `x[][y]`: a hash inside an array; a new hash starts when the last one already has `y`.
    const inner = after.slice(3, -1);
    const childKey =
      after[2] === '[' && after.endsWith(']') && inner !== '' && !/[[\]]/.test(inner) ? inner : after.slice(2);
    const list = arrayAt(params, key);
    const last = list[list.length - 1];
    if (isParams(last) && !hasNestedKey(last, childKey)) {
      normalizeParams(last, childKey, value, depth + 1);
    } else {
      list.push(normalizeParams(makeParams(), childKey, value, depth + 1));
    }
  } else {
    // Rack's `params[k] ||= {}`: an absent or nil value becomes a hash; anything else clashes.
    const existing = Object.hasOwn(params, key) ? params[key] : undefined;
    if (existing !== undefined && existing !== null && !isParams(existing)) {
      throw new ParamsError(`expected a hash for parameter "${key}"`);
    }
    const hash = isParams(existing) ? existing : makeParams();
    params[key] = normalizeParams(hash, after, value, depth + 1);
  }
  return params;
}

function arrayAt(params: Params, key: string): unknown[] {
  const existing = Object.hasOwn(params, key) ? params[key] : undefined;
  if (existing === undefined || existing === null) {
    const list: unknown[] = [];
    params[key] = list;
    return list;
  }
  if (!Array.isArray(existing)) throw new ParamsError(`expected an array for parameter "${key}"`);
  return existing;
}

/** Rack's `params_hash_has_key?`: does `hash` already hold the (possibly nested) `key`? */
function hasNestedKey(hash: Params, key: string): boolean {
  if (key.includes('[]')) return false;
  let node: unknown = hash;
  for (const part of key.split(/[[\]]+/)) {
    if (part === '') continue;
    if (!isParams(node) || !Object.hasOwn(node, part)) return false;
    node = node[part];
  }
  return true;
}
