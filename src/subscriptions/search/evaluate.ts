import type { SearchNode } from './parse';

/**
 * A search tree evaluated on a payload (a webhook `filter` on the data a delivery would carry). Pure.
 *
 * - A dotted path walks into objects; through an array it reaches every element, and a term on it
 *   matches when any value it reaches matches (`line_items.sku:ABC`).
 * - `:value` is equality: numerically when both sides are numbers (`price:10` matches `"10.00"`),
 *   otherwise as text without regard to case; `true`/`false` match booleans.
 * - `>`, `>=`, `<`, `<=` compare numbers as numbers, two date-times as instants, anything else as
 *   case-folded text.
 * - `value*` matches text that starts with `value` (case-folded); `field:*` matches a field that is
 *   present and not null.
 * - A missing field or `null` matches nothing but `NOT`.
 */

/** Every scalar the path reaches (arrays flattened at each step); objects are not values. */
function valuesAt(data: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [data];
  for (const key of path) {
    const next: unknown[] = [];
    for (const value of current.flatMap(flatten)) {
      if (typeof value === 'object' && value !== null && Object.hasOwn(value, key)) {
        next.push((value as Record<string, unknown>)[key]);
      }
    }
    current = next;
  }
  return current.flatMap(flatten);
}

const flatten = (value: unknown): unknown[] => (Array.isArray(value) ? value.flatMap(flatten) : [value]);

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** ISO 8601 date or date-time, the way Shopify writes times in payloads. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A payload scalar as text and (when it is one) as a number; null for objects and null. */
function scalar(value: unknown): { text: string; number: number | null } | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { text: value, number: NUMBER.test(value.trim()) ? Number(value) : null };
  if (typeof value === 'number') return { text: String(value), number: value };
  if (typeof value === 'boolean') return { text: String(value), number: null };
  // Exact numbers (json/exact.ts) print as their digits and compare as numbers.
  if (typeof value === 'object' && !Array.isArray(value) && typeof value.valueOf() === 'number') {
    return { text: String(value), number: Number(value) };
  }
  return null;
}

const queryNumber = (text: string): number | null => (NUMBER.test(text.trim()) ? Number(text) : null);
const instant = (text: string): number | null => (DATE_TIME.test(text.trim()) ? Date.parse(text.trim()) : null);

function order(value: { text: string; number: number | null }, query: string): number {
  const q = queryNumber(query);
  if (value.number !== null && q !== null) return Math.sign(value.number - q);
  const a = instant(value.text);
  const b = instant(query);
  if (a !== null && b !== null && !Number.isNaN(a) && !Number.isNaN(b)) return Math.sign(a - b);
  const x = value.text.toLowerCase();
  const y = query.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function matchesOne(value: unknown, op: SearchNode & { kind: 'term' }): boolean {
  const v = scalar(value);
  if (v === null) return false;
  switch (op.op) {
    case 'exists':
      return true;
    case 'prefix':
      return v.text.toLowerCase().startsWith(op.value.toLowerCase());
    case 'eq': {
      const q = queryNumber(op.value);
      if (v.number !== null && q !== null) return v.number === q;
      return v.text.toLowerCase() === op.value.toLowerCase();
    }
    case 'gt':
      return order(v, op.value) > 0;
    case 'gte':
      return order(v, op.value) >= 0;
    case 'lt':
      return order(v, op.value) < 0;
    case 'lte':
      return order(v, op.value) <= 0;
  }
}

/** True when the payload satisfies the expression. */
export function evaluateSearch(node: SearchNode, data: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((item) => evaluateSearch(item, data));
    case 'or':
      return node.items.some((item) => evaluateSearch(item, data));
    case 'not':
      return !evaluateSearch(node.item, data);
    case 'term':
      return valuesAt(data, node.path).some((value) => matchesOne(value, node));
  }
}
