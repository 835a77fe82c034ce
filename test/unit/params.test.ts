import { describe, expect, it } from 'vitest';
import { MAX_PARAM_COUNT, MAX_PARAM_DEPTH } from '../../src/env';
import { parseNestedQuery } from '../../src/ingress/params';

/** Plain-object copy (the parser builds prototype-less objects) for toEqual comparisons. */
const parse = (text: string) => {
  const result = parseNestedQuery(text);
  return result === null ? null : (JSON.parse(JSON.stringify(result)) as unknown);
};

describe('parseNestedQuery: the examples of docs/contracts.md, "Nested parameters"', () => {
  it.each([
    ['a=1&b=2', { a: '1', b: '2' }],
    ['hash[key]=v', { hash: { key: 'v' } }],
    ['arr[]=x&arr[]=y', { arr: ['x', 'y'] }],
    ['items[][id]=1&items[][id]=2', { items: [{ id: '1' }, { id: '2' }] }],
    ['contact[Phone Number]=5', { contact: { 'Phone Number': '5' } }],
    ['a=1&a=2', { a: '2' }],
    ['a[0]=x', { a: { '0': 'x' } }],
  ])('%s', (input, expected) => {
    expect(parse(input)).toEqual(expected);
  });
});

describe('parseNestedQuery: Rack semantics beyond the examples', () => {
  it.each([
    ['', {}],
    ['a', { a: null }],
    ['a=', { a: '' }],
    ['a=1&&b=2', { a: '1', b: '2' }],
    ['a=x+y%20z', { a: 'x y z' }],
    ['contact%5Bname%5D=Ada', { contact: { name: 'Ada' } }],
    ['a=%E2%9C%93', { a: '✓' }],
    ['a=b=c', { a: 'b=c' }],
    ['items[][id]=1&items[][name]=x&items[][id]=2', { items: [{ id: '1', name: 'x' }, { id: '2' }] }],
    ['x[][]=1', { x: [['1']] }],
    ['a[b][c]=1&a[b][d]=2', { a: { b: { c: '1', d: '2' } } }],
    ['a[', { 'a[': null }],
    ['a[=1', { 'a[': '1' }],
    ['[a]=1', { '[a]': '1' }],
    ['a&a[]=1', { a: ['1'] }],
    ['a[]=1&a[]=', { a: ['1', ''] }],
  ])('%s', (input, expected) => {
    expect(parse(input)).toEqual(expected);
  });

  it.each([
    ['a=1&a[b]=2', 'a string then a hash'],
    ['a[]=1&a[b]=2', 'an array then a hash'],
    ['a[b]=1&a[]=2', 'a hash then an array'],
    ['a=%zz', 'a bad percent escape'],
    ['a=%E9', 'percent-escaped bytes that are not UTF-8'],
  ])('%s is unparsable (%s), not an exception', (input) => {
    expect(parseNestedQuery(input)).toBeNull();
  });

  it(`accepts nesting up to ${MAX_PARAM_DEPTH} levels and refuses deeper`, () => {
    const nested = (levels: number) => 'a' + '[b]'.repeat(levels - 1) + '=1';
    expect(parseNestedQuery(nested(MAX_PARAM_DEPTH))).not.toBeNull();
    expect(parseNestedQuery(nested(MAX_PARAM_DEPTH + 1))).toBeNull();
  });

  it(`accepts ${MAX_PARAM_COUNT} parameters and refuses more`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
    expect(Object.keys(parseNestedQuery(many(MAX_PARAM_COUNT))!)).toHaveLength(MAX_PARAM_COUNT);
    expect(parseNestedQuery(many(MAX_PARAM_COUNT + 1))).toBeNull();
  });

  it('keeps __proto__ and constructor as plain keys without touching prototypes', () => {
    const result = parseNestedQuery('__proto__[polluted]=1&constructor[prototype][x]=2')!;
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":"1"},"constructor":{"prototype":{"x":"2"}}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('x');
  });
});
