import { TASK_OUTPUT_MAX_DEPTH } from '../env';
import { parseExactJson } from '../json/exact';

/**
 * A task's rendered output is a sequence of JSON objects with only whitespace between them
 * (docs/contracts.md, "Output and tags"): `{"action": {type, options, meta?}}`, `{"log": any}`, `{"error": any}`.
 */

export const ACTION_TYPES = ['cache', 'event', 'http', 'shopify', 'echo'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** One action a run asked for, before it is performed. */
export interface ActionSpec {
  type: ActionType;
  options: unknown;
  meta: unknown;
}

export interface RenderedOutput {
  actions: ActionSpec[];
  logs: unknown[];
  errors: unknown[];
}

/** Output that breaks the protocol; its message names the offending text. */
export class OutputError extends Error {
  override name = 'OutputError';
}

const excerpt = (text: string) => {
  const trimmed = text.trim();
  return JSON.stringify(trimmed.length > 80 ? `${trimmed.slice(0, 80)}…` : trimmed);
};

/** Splits and validates the output; throws OutputError on the first thing that is not allowed. */
export function parseRenderedOutput(text: string): RenderedOutput {
  const out: RenderedOutput = { actions: [], logs: [], errors: [] };
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    if (text[i] !== '{') {
      throw new OutputError(`Output must be JSON objects; found text ${excerpt(text.slice(i))}`);
    }
    const end = endOfObject(text, i);
    const chunk = text.slice(i, end);
    let value: unknown;
    try {
      value = parseExactJson(chunk);
    } catch {
      throw new OutputError(`Output is not valid JSON: ${excerpt(chunk)}`);
    }
    addObject(out, value, chunk);
    i = end;
  }
  return out;
}

/** Index just past the object starting at `start` (braces counted outside strings). */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > TASK_OUTPUT_MAX_DEPTH) {
        throw new OutputError(
          `Output nests deeper than ${TASK_OUTPUT_MAX_DEPTH} levels: ${excerpt(text.slice(start, start + 80))}`,
        );
      }
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new OutputError(`Output has an unterminated JSON object: ${excerpt(text.slice(start))}`);
}

function addObject(out: RenderedOutput, value: unknown, chunk: string): void {
  const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
  const record = value as Record<string, unknown>;
  if (keys.length !== 1) {
    throw new OutputError(`Each output object needs exactly one key (action, log or error): ${excerpt(chunk)}`);
  }
  if ('log' in record) return void out.logs.push(record['log']);
  if ('error' in record) return void out.errors.push(record['error']);
  if (!('action' in record)) {
    throw new OutputError(`Unknown output object ${excerpt(chunk)}; expected action, log or error`);
  }
  const action = record['action'];
  if (typeof action !== 'object' || action === null || Array.isArray(action)) {
    throw new OutputError(`An action must be an object with type and options: ${excerpt(chunk)}`);
  }
  const { type, options, meta, ...extra } = action as Record<string, unknown>;
  if (!ACTION_TYPES.includes(type as ActionType)) {
    throw new OutputError(
      `Unknown action type ${JSON.stringify(type ?? null)}; expected one of ${ACTION_TYPES.join(', ')}`,
    );
  }
  if (Object.keys(extra).length > 0) {
    throw new OutputError(`Unknown action fields ${Object.keys(extra).join(', ')} in ${excerpt(chunk)}`);
  }
  out.actions.push({ type: type as ActionType, options: options ?? null, meta: meta ?? null });
}
