/**
 * JSON that keeps numbers exactly as written (docs/contracts.md, "Exact numbers": JSON numbers keep their exact
 * digits; Shopify's sample ids such as 820982911946154508 are above 2^53). `JSON.parse` would
 * round such a number through a double; `parseExactJson` keeps its source text instead, in an
 * `ExactNumber` that `JSON.stringify` writes back digit for digit (through `JSON.rawJSON`).
 *
 * Both rely on V8's JSON.parse source text access and JSON.rawJSON, shipped in workerd's V8
 * (test/unit/exact-json.test.ts checks them in the pool).
 */

interface JsonWithRawText {
  rawJSON(text: string): unknown;
}
const jsonWithRawText = JSON as unknown as JSON & JsonWithRawText;

/**
 * A JSON number whose text a double would not keep (too many digits, `1.10`, `1e3`, `-0`). It
 * serializes as that text, prints as it (Liquid output, XML), and compares as a number.
 */
export class ExactNumber {
  constructor(readonly text: string) {}

  /** Its digits, unchanged, in `JSON.stringify` output. */
  toJSON(): unknown {
    return jsonWithRawText.rawJSON(this.text);
  }

  toString(): string {
    return this.text;
  }

  /** The nearest double, for arithmetic and comparisons (which cannot be exact anyway). */
  valueOf(): number {
    return Number(this.text);
  }

  [Symbol.toPrimitive](hint: string): string | number {
    return hint === 'string' ? this.text : Number(this.text);
  }

  /** True for integer text (no fraction, no exponent). */
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text);
  }

  // Liquid's comparison protocol (liquidjs calls these for ==, !=, <, >, <=, >=): integers compare
  // exactly with each other and with safe integers; anything else as doubles; non-numbers never
  // equal and never order (NaN), as Liquid's number-to-string comparisons are false.
  equals(other: unknown): boolean {
    return this.compare(other) === 0;
  }
  gt(other: unknown): boolean {
    return this.compare(other) > 0;
  }
  geq(other: unknown): boolean {
    return this.compare(other) >= 0;
  }
  lt(other: unknown): boolean {
    return this.compare(other) < 0;
  }
  leq(other: unknown): boolean {
    return this.compare(other) <= 0;
  }

  private compare(other: unknown): number {
    if (other instanceof ExactNumber) {
      return this.isInteger && other.isInteger
        ? Math.sign(Number(BigInt(this.text) - BigInt(other.text)))
        : Math.sign(Number(this.text) - Number(other.text));
    }
    if (typeof other !== 'number') return Number.NaN;
    if (this.isInteger && Number.isSafeInteger(other)) return Math.sign(Number(BigInt(this.text) - BigInt(other)));
    return Math.sign(Number(this.text) - other);
  }
}

/**
 * A quick test for text where some number might not survive a double: 16 or more digits in a row,
 * a fraction or exponent, or `-0`. Integers of up to 15 digits always round-trip, so text without
 * any of these parses plainly (the common case, and the fast one).
 */
const MAY_HOLD_INEXACT_NUMBER = /\d{16}|\d[.eE]|-0(?!\d)/;

/** Like `JSON.parse`, but numbers a double would change become `ExactNumber`s. Throws SyntaxError. */
export function parseExactJson(text: string): unknown {
  if (!MAY_HOLD_INEXACT_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepNumberText);
}

function keepNumberText(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return String(value) === context.source ? value : new ExactNumber(context.source);
}

/**
 * For management API input (task options, cache values, preview data): only integers a double
 * would change become `ExactNumber`s, so numeric settings written `60.0` still validate as numbers.
 */
export function parseJsonKeepingIntegers(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepIntegerText);
}

function keepIntegerText(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined || Number.isSafeInteger(value)) return value;
  return /^-?\d+$/.test(context.source) && String(value) !== context.source ? new ExactNumber(context.source) : value;
}
