import {
  Tag,
  TypeGuards,
  evalToken,
  type Context,
  type Emitter,
  type Liquid,
  type Parser,
  type TagToken,
  type Tokenizer,
  type Template,
  type TopLevelToken,
  type ValueToken,
} from 'liquidjs';
import { parseExactJson } from '../json/exact';

/**
 * The `action`, `log` and `error` tags (docs/contracts.md, "Output and tags"). Each writes one JSON object to
 * the output; the runner reads the output back as a sequence of such objects. Tag arguments are
 * values (literals, variables, ranges), positional or `name: value`, separated by commas; filters
 * are not read here (assign first), since a filter's own arguments are comma-separated too.
 */

type Arg = { name: string | null; value: ValueToken | undefined };

/** Reads `a, b, name: c, …` up to the end of the tag. */
function readArgs(t: Tokenizer, token: TagToken): Arg[] {
  const args: Arg[] = [];
  for (;;) {
    t.skipBlank();
    if (t.end()) return args;
    if (args.length > 0) {
      if (t.peek() !== ',') throw t.error(`expected "," between arguments of ${token.name}`);
      t.advance();
      t.skipBlank();
    }
    const begin = t.p;
    const ident = t.readIdentifier();
    t.skipBlank();
    if (ident.content !== '' && t.peek() === ':') {
      t.advance();
      args.push({ name: ident.content, value: t.readValueOrThrow() });
      continue;
    }
    t.p = begin;
    args.push({ name: null, value: t.readValueOrThrow() });
  }
}

const positional = (args: Arg[]) => args.filter((a) => a.name === null);
const named = (args: Arg[]) => args.filter((a) => a.name !== null);

function* evalNamed(args: Arg[], ctx: Context): Generator<unknown, Record<string, unknown>, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) out[arg.name!] = jsonSafe(yield evalToken(arg.value, ctx));
  return out;
}

function* evalPositional(args: Arg[], ctx: Context): Generator<unknown, unknown[], unknown> {
  const out: unknown[] = [];
  for (const arg of args) out.push(jsonSafe(yield evalToken(arg.value, ctx)));
  return out;
}

/** Liquid values as JSON sees them: undefined (nil) becomes null. */
const jsonSafe = (value: unknown): unknown => (value === undefined ? null : value);

function write(emitter: Emitter, object: unknown): void {
  emitter.write(JSON.stringify(object));
}

/** Parses a block body up to `{% endNAME %}`. */
function parseBlock(token: TagToken, remainTokens: TopLevelToken[], parser: Parser, end: string): Template[] {
  const templates: Template[] = [];
  while (remainTokens.length > 0) {
    const next = remainTokens.shift()!;
    if (TypeGuards.isTagToken(next) && next.name === end) return templates;
    templates.push(parser.parseToken(next, remainTokens));
  }
  throw new Error(`tag ${token.getText()} not closed (expected {% ${end} %})`);
}

/**
 * `{% action "type", a, b %}` (positional → array), `{% action "type", k: v %}` (mapped →
 * object), `{% action "type", x %}` (single → x), `{% action "type" %}{json}{% endaction %}`
 * (typed block: options are the JSON; a `shopify` block may hold the GraphQL text instead) and
 * `{% action %}{"type", "options", "meta"?}{% endaction %}`.
 */
export class ActionTag extends Tag {
  private readonly args: Arg[];
  private readonly block: Template[] | null = null;

  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid, parser: Parser) {
    super(token, remainTokens, liquid);
    this.args = readArgs(this.tokenizer, token);
    const pos = positional(this.args);
    if (named(this.args).length > 0 && pos.length !== 1) {
      throw new Error('action: use either positional options or name: value options, not both');
    }
    if (this.args.length <= 1) this.block = parseBlock(token, remainTokens, parser, 'endaction');
  }

  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const [typeArg, ...rest] = this.args;
    const type = typeArg ? yield evalToken(typeArg.value, ctx) : undefined;
    if (this.block !== null) {
      const text = (yield this.liquid.renderer.renderTemplates(this.block, ctx)) as string;
      // Mechanic's `shopify` block holds the GraphQL document itself, not JSON.
      const parsed = typeArg !== undefined && type === 'shopify' ? graphqlBlock(text) : parseBlockJson(text);
      if (typeArg === undefined) return write(emitter, { action: parsed });
      return write(emitter, { action: { type, options: parsed } });
    }
    const mapped = named(rest);
    let options: unknown;
    if (mapped.length > 0) options = yield* evalNamed(mapped, ctx);
    else if (rest.length === 1) options = jsonSafe(yield evalToken(rest[0]!.value, ctx));
    else options = yield* evalPositional(rest, ctx);
    write(emitter, { action: { type, options } });
  }
}

/** A `shopify` block: JSON options when the body is JSON, else the GraphQL text itself. */
function graphqlBlock(text: string): unknown {
  try {
    return parseExactJson(text);
  } catch {
    return text.trim();
  }
}

function parseBlockJson(text: string): unknown {
  try {
    return parseExactJson(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`action block is not valid JSON (${reason}): ${text.trim().slice(0, 80)}`);
  }
}

/** `{% log value %}` or `{% log key: v, … %}` → `{"log": …}`; `error` likewise. */
function objectTag(kind: 'log' | 'error') {
  return class extends Tag {
    private readonly args: Arg[];

    constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
      super(token, remainTokens, liquid);
      this.args = readArgs(this.tokenizer, token);
      const pos = positional(this.args);
      if (this.args.length === 0) throw new Error(`${kind}: a value is required`);
      if (pos.length > 0 && this.args.length > 1) {
        throw new Error(`${kind}: use one value, or name: value pairs`);
      }
    }

    *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
      const first = this.args[0]!;
      const value =
        first.name === null ? jsonSafe(yield evalToken(first.value, ctx)) : yield* evalNamed(this.args, ctx);
      write(emitter, { [kind]: value });
    }
  };
}

export const LogTag = objectTag('log');
export const ErrorTag = objectTag('error');
