/**
 * Shopify's search syntax (shopify.dev, "Search syntax"), as webhook `filter`s and the
 * `webhookSubscriptions(query:)` argument use it: `field:value`, `field:>10` (`>`, `>=`, `<`, `<=`),
 * quoted values, a `*` suffix for a prefix (`field:*` alone: the field is present), `AND`, `OR`,
 * `NOT`, `-field:value`, parentheses, and terms side by side meaning AND. Pure: text → tree.
 */

export type Comparison = 'eq' | 'gt' | 'gte' | 'lt' | 'lte' | 'prefix' | 'exists';

export type SearchNode =
  | { kind: 'and'; items: SearchNode[] }
  | { kind: 'or'; items: SearchNode[] }
  | { kind: 'not'; item: SearchNode }
  | { kind: 'term'; path: string[]; op: Comparison; value: string };

/** Longest expression accepted, in characters. */
export const MAX_SEARCH_CHARS = 1_000;
/** Most `field:value` terms in one expression. */
export const MAX_SEARCH_TERMS = 50;
/** Deepest nesting of parentheses and NOTs. */
export const MAX_SEARCH_DEPTH = 20;

/** A malformed expression; `message` says what and where, for the client. */
export class SearchSyntaxError extends Error {}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);
/** Characters that end a bare word. */
const BREAK = /[\s()]/;

type Token = { kind: 'open' | 'close' | 'and' | 'or' | 'not' | 'minus' } | { kind: 'word'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close' });
      i++;
    } else if (c === '-' && i + 1 < text.length && !/\s/.test(text[i + 1]!)) {
      tokens.push({ kind: 'minus' });
      i++;
    } else {
      const at = i;
      let word = '';
      while (i < text.length && !BREAK.test(text[i]!)) {
        const ch = text[i]!;
        if (ch === '"' || ch === "'") {
          // A quoted part keeps spaces and parentheses; `\"` escapes the quote.
          const end = closingQuote(text, i);
          word += text.slice(i, end + 1);
          i = end + 1;
        } else {
          word += ch;
          i++;
        }
      }
      // Operators are upper case, as Shopify writes them; `and` is a word.
      if (KEYWORDS.has(word)) {
        tokens.push({ kind: word.toLowerCase() as 'and' | 'or' | 'not' });
      } else {
        tokens.push({ kind: 'word', text: word, at });
      }
    }
  }
  return tokens;
}

function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  throw new SearchSyntaxError(`unterminated quoted value at position ${start + 1}`);
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value[value.length - 1] === q) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

const OPS: [string, Comparison][] = [
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['>', 'gt'],
  ['<', 'lt'],
];

function term(word: string, at: number): SearchNode {
  const colon = word.indexOf(':');
  if (colon <= 0) throw new SearchSyntaxError(`expected field:value at position ${at + 1}, found '${word}'`);
  const field = word.slice(0, colon);
  if (!FIELD.test(field)) throw new SearchSyntaxError(`invalid field name '${field}' at position ${at + 1}`);
  let rest = word.slice(colon + 1);
  let op: Comparison = 'eq';
  for (const [symbol, name] of OPS) {
    if (rest.startsWith(symbol)) {
      op = name;
      rest = rest.slice(symbol.length);
      break;
    }
  }
  if (rest === '') throw new SearchSyntaxError(`missing value for '${field}' at position ${at + 1}`);
  const path = field.split('.');
  if (op === 'eq' && rest === '*') return { kind: 'term', path, op: 'exists', value: '' };
  // A `*` after the value (bare or quoted) asks for a prefix.
  const prefix = op === 'eq' && rest.endsWith('*');
  const value = prefix ? rest.slice(0, -1) : rest;
  if ((value[0] === '"' || value[0] === "'") && unquote(value) === value) {
    throw new SearchSyntaxError(`malformed quoted value at position ${at + 1}`);
  }
  return { kind: 'term', path, op: prefix ? 'prefix' : op, value: unquote(value) };
}

/** Parses an expression; throws SearchSyntaxError with a message for the client. */
export function parseSearch(text: string): SearchNode {
  if (text.length > MAX_SEARCH_CHARS) {
    throw new SearchSyntaxError(`longer than ${MAX_SEARCH_CHARS} characters`);
  }
  const tokens = tokenize(text);
  let pos = 0;
  let terms = 0;
  const peek = () => tokens[pos];

  const orExpr = (depth: number): SearchNode => {
    const items = [andExpr(depth)];
    while (peek()?.kind === 'or') {
      pos++;
      items.push(andExpr(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };
  const andExpr = (depth: number): SearchNode => {
    const items = [unary(depth)];
    for (;;) {
      const next = peek();
      if (next === undefined || next.kind === 'or' || next.kind === 'close') break;
      if (next.kind === 'and') pos++;
      items.push(unary(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  const unary = (depth: number): SearchNode => {
    if (depth > MAX_SEARCH_DEPTH) throw new SearchSyntaxError(`nested deeper than ${MAX_SEARCH_DEPTH} levels`);
    const token = tokens[pos++];
    if (token === undefined) throw new SearchSyntaxError('a term is missing at the end');
    switch (token.kind) {
      case 'not':
      case 'minus':
        return { kind: 'not', item: unary(depth + 1) };
      case 'open': {
        const inner = orExpr(depth + 1);
        if (tokens[pos++]?.kind !== 'close') throw new SearchSyntaxError("'(' without its ')'");
        return inner;
      }
      case 'word':
        if (++terms > MAX_SEARCH_TERMS) throw new SearchSyntaxError(`more than ${MAX_SEARCH_TERMS} terms`);
        return term(token.text, token.at);
      default:
        throw new SearchSyntaxError(
          `unexpected '${token.kind === 'close' ? ')' : token.kind.toUpperCase()}' where a term was expected`,
        );
    }
  };

  if (tokens.length === 0) throw new SearchSyntaxError('empty');
  const tree = orExpr(0);
  if (pos < tokens.length) throw new SearchSyntaxError("')' without its '('");
  return tree;
}

const needsQuotes = (value: string) =>
  value === '' || /[\s()"'\\*]/.test(value) || /^[<>=]/.test(value) || value.startsWith('-');
const quoteValue = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/** The tree as text that parses back to the same tree. */
export function formatSearch(node: SearchNode): string {
  switch (node.kind) {
    case 'and':
      return `(${node.items.map(formatSearch).join(' AND ')})`;
    case 'or':
      return `(${node.items.map(formatSearch).join(' OR ')})`;
    case 'not':
      return `NOT ${formatSearch(node.item)}`;
    case 'term': {
      const field = node.path.join('.');
      if (node.op === 'exists') return `${field}:*`;
      const value = needsQuotes(node.value) ? quoteValue(node.value) : node.value;
      if (node.op === 'prefix') return `${field}:${value}*`;
      const symbol = { eq: '', gt: '>', gte: '>=', lt: '<', lte: '<=' }[node.op];
      return `${field}:${symbol}${value}`;
    }
  }
}
