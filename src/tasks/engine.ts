import { Context, Drop, Liquid, toPromise, toValueSync, type Template } from 'liquidjs';
import {
  TASK_OUTPUT_MAX_CHARS,
  TASK_PARSE_LIMIT_CHARS,
  TASK_RENDER_LIMIT_MS,
  TASK_RENDER_MAX_STEPS,
  TASK_RENDER_MEMORY_LIMIT,
} from '../env';
import { errorText } from '../log';
import { OutputError, parseRenderedOutput, type RenderedOutput } from './output';
import { ActionTag, ErrorTag, LogTag } from './tags';

/**
 * The Liquid engine for task scripts: liquidjs with the action/log/error tags, no file system
 * (`templates: {}`), own properties only, unknown filters rejected at parse time, and bounded
 * parse size, allocations and render steps.
 */
const liquid = new Liquid({
  templates: {},
  ownPropertyOnly: true,
  strictFilters: true,
  parseLimit: TASK_PARSE_LIMIT_CHARS,
  memoryLimit: TASK_RENDER_MEMORY_LIMIT,
});
liquid.registerTag('action', ActionTag);
liquid.registerTag('log', LogTag);
liquid.registerTag('error', ErrorTag);

/**
 * Parsed scripts by their text: a consumer batch renders the same task for up to 100 events, and
 * parsing is most of a simple render's CPU. liquidjs templates are not changed by rendering, so
 * one parse serves every render. The oldest go first once the scripts held exceed
 * PARSED_SCRIPTS_MAX_CHARS in all, which bounds the memory this takes in a 128 MB isolate.
 */
const parsedScripts = new Map<string, Template[]>();
const PARSED_SCRIPTS_MAX_CHARS = 1_000_000;
let parsedScriptChars = 0;

function parsed(script: string): Template[] {
  let templates = parsedScripts.get(script);
  if (templates === undefined) {
    templates = liquid.parse(script);
    parsedScripts.set(script, templates);
    parsedScriptChars += script.length;
    for (const oldest of parsedScripts.keys()) {
      if (parsedScriptChars <= PARSED_SCRIPTS_MAX_CHARS || oldest === script) break;
      parsedScripts.delete(oldest);
      parsedScriptChars -= oldest.length;
    }
  }
  return templates;
}

/** Parses a script; the parser's message (with line and column) when it does not parse. */
export function checkScript(script: string): string | null {
  try {
    liquid.parse(script);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** What a script sees besides `cache`. */
export interface RenderScope {
  event: Record<string, unknown>;
  shop: Record<string, unknown>;
  task: { id: string; name: string };
  options: unknown;
}

/** Reads a cache key for `cache["key"]` / `cache.key`; undefined (nil) when missing. */
export type CacheReader = (key: string) => Promise<unknown>;

export type RenderOutcome = ({ ok: true } & RenderedOutput) | { ok: false; error: string };

/**
 * `cache` in scripts: every property read is a cache lookup. A proxy hides the prototype so a key
 * such as `constructor` is looked up in the cache rather than found on the object.
 */
class CacheDrop extends Drop {
  constructor(private readonly reader: CacheReader) {
    super();
  }
  override liquidMethodMissing(key: string): Promise<unknown> {
    return this.reader(String(key));
  }
}

function cacheVariable(reader: CacheReader): Drop {
  const drop = new CacheDrop(reader);
  return new Proxy(drop, {
    get(target, prop) {
      if (prop === 'liquidMethodMissing') return target.liquidMethodMissing.bind(target);
      if (typeof prop === 'symbol') return Reflect.get(target, prop) as unknown;
      if (prop === 'toString' || prop === 'valueOf') return () => '';
      return undefined;
    },
  });
}

/**
 * Counts template nodes and checks the clock between them. liquidjs calls `check` before each
 * node; Workers' clocks stand still during pure computation, so the step count is the bound
 * that always holds, the clock the one that holds across I/O (cache reads).
 */
class RenderBudget {
  private steps = 0;
  private readonly deadline = Date.now() + TASK_RENDER_LIMIT_MS;
  check(): void {
    if (++this.steps > TASK_RENDER_MAX_STEPS) {
      throw new Error(`render step limit exceeded (${TASK_RENDER_MAX_STEPS} template nodes)`);
    }
    if (Date.now() > this.deadline) {
      throw new Error(`render time limit exceeded (${TASK_RENDER_LIMIT_MS} ms)`);
    }
  }
  use(): void {}
}

/**
 * Thrown by the cache variable of a synchronous render: the script reads the cache, which takes
 * I/O, so the render starts over asynchronously.
 */
class CacheReadNeedsIo extends Error {}

/**
 * Renders a task script and reads its output. Never throws for anything the script does: parse
 * and render errors, limits and bad output all come back as `{ok: false, error}`.
 *
 * Scripts render synchronously first: liquidjs's asynchronous mode settles a promise for every
 * template node it evaluates, which costs a simple script several times its synchronous render
 * (BENCHMARKS.md, issue 13). Only a read of `cache` needs I/O; a script that makes one is rendered
 * again from the start, asynchronously. Rendering has no effect but its output, so a render
 * abandoned halfway leaves nothing behind.
 */
export async function renderTask(script: string, scope: RenderScope, cache: CacheReader): Promise<RenderOutcome> {
  let templates: Template[];
  try {
    templates = parsed(script);
  } catch (err) {
    return { ok: false, error: `Script does not parse: ${messageOf(err)}` };
  }
  let needsIo = false;
  const refuseIo: CacheReader = () => {
    needsIo = true;
    throw new CacheReadNeedsIo();
  };
  let text = '';
  try {
    text = String(toValueSync(liquid.renderer.renderTemplates(templates, contextFor(scope, refuseIo, true))));
  } catch (err) {
    if (!needsIo) return { ok: false, error: `Render failed: ${messageOf(err)}` };
  }
  // Checked after a render that returned too: output rendered past a refused read is not kept.
  if (needsIo) {
    try {
      text = String(await toPromise(liquid.renderer.renderTemplates(templates, contextFor(scope, cache, false))));
    } catch (err) {
      return { ok: false, error: `Render failed: ${messageOf(err)}` };
    }
  }
  if (text.length > TASK_OUTPUT_MAX_CHARS) {
    return { ok: false, error: `Output exceeds ${TASK_OUTPUT_MAX_CHARS} characters` };
  }
  try {
    return { ok: true, ...parseRenderedOutput(text) };
  } catch (err) {
    if (err instanceof OutputError) return { ok: false, error: err.message };
    // Anything else the output makes the parser do (a stack it exhausts) is the script's too.
    return { ok: false, error: `Output could not be read: ${messageOf(err)}` };
  }
}

/** A render's context: the scope, `cache` read through `cache`, and a fresh render budget. */
function contextFor(scope: RenderScope, cache: CacheReader, sync: boolean): Context {
  return new Context(
    { ...scope, cache: cacheVariable(cache) },
    liquid.options,
    { sync },
    {
      renderLimit: new RenderBudget() as unknown as NonNullable<
        ConstructorParameters<typeof Context>[3]
      >['renderLimit'],
    },
  );
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : errorText(err));
