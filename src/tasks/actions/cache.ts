import {
  applyCacheWrite,
  CacheCopyError,
  CacheInputError,
  checkCacheTtl,
  planCacheAdd,
  planCacheDelete,
  planCacheSet,
  type CacheWrite,
} from '../../cache/cache';
import { asObject, failed, failedTransiently, succeeded, type ActionContext, type ActionOutcome } from './types';

/**
 * `cache` action: positional `[cmd, key, …]` or verbose `{cmd: {key, value?, ttl?,
 * increment?/decrement?}}` (docs/contracts.md, "Actions").
 */

export type CacheCommand =
  | { cmd: 'set'; key: unknown; value: unknown; ttl: unknown }
  | { cmd: 'setex'; key: unknown; value: unknown; ttl: unknown }
  | { cmd: 'del'; key: unknown }
  | { cmd: 'incr' | 'decr' | 'incrby' | 'decrby'; key: unknown; amount: unknown; ttl: unknown };

const COMMANDS = ['set', 'setex', 'del', 'incr', 'incrby', 'decr', 'decrby'] as const;
type CommandName = (typeof COMMANDS)[number];

/** Positional argument counts after the command name. */
const ARITY: Record<CommandName, number> = { set: 2, setex: 3, del: 1, incr: 1, incrby: 2, decr: 1, decrby: 2 };

/** Reads the options into a command; throws CacheInputError naming what is wrong. */
export function parseCacheCommand(options: unknown): CacheCommand {
  if (Array.isArray(options)) {
    const [name, ...args] = options as unknown[];
    const cmd = commandName(name);
    if (args.length !== ARITY[cmd]) {
      throw new CacheInputError(`cache ${cmd} takes ${ARITY[cmd]} argument(s) after the command, got ${args.length}`);
    }
    switch (cmd) {
      case 'set':
        return { cmd, key: args[0], value: args[1], ttl: undefined };
      case 'setex':
        return { cmd, key: args[0], ttl: args[1], value: args[2] };
      case 'del':
        return { cmd, key: args[0] };
      case 'incr':
      case 'decr':
        return { cmd, key: args[0], amount: 1, ttl: undefined };
      default:
        return { cmd, key: args[0], amount: args[1], ttl: undefined };
    }
  }
  const object = asObject(options);
  const names = object ? Object.keys(object) : [];
  if (!object || names.length !== 1) {
    throw new CacheInputError('cache options must be [command, key, …] or {command: {key, …}}');
  }
  const cmd = commandName(names[0]);
  const args = asObject(object[cmd]);
  if (!args) throw new CacheInputError(`cache ${cmd} options must be an object with a key`);
  const allowed: Record<CommandName, string[]> = {
    set: ['key', 'value', 'ttl'],
    setex: ['key', 'value', 'ttl'],
    del: ['key'],
    incr: ['key', 'ttl'],
    decr: ['key', 'ttl'],
    incrby: ['key', 'increment', 'ttl'],
    decrby: ['key', 'decrement', 'ttl'],
  };
  const unknown = Object.keys(args).filter((k) => !allowed[cmd].includes(k));
  if (unknown.length > 0) throw new CacheInputError(`cache ${cmd} does not take ${unknown.join(', ')}`);
  switch (cmd) {
    case 'set':
    case 'setex':
      if (cmd === 'setex' && args['ttl'] === undefined) throw new CacheInputError('cache setex needs a ttl');
      return { cmd, key: args['key'], value: args['value'], ttl: args['ttl'] };
    case 'del':
      return { cmd, key: args['key'] };
    case 'incr':
    case 'decr':
      return { cmd, key: args['key'], amount: 1, ttl: args['ttl'] };
    case 'incrby':
      return { cmd, key: args['key'], amount: args['increment'], ttl: args['ttl'] };
    default:
      return { cmd, key: args['key'], amount: args['decrement'], ttl: args['ttl'] };
  }
}

function commandName(name: unknown): CommandName {
  if (!COMMANDS.includes(name as CommandName)) {
    throw new CacheInputError(`unknown cache command ${JSON.stringify(name ?? null)}; use ${COMMANDS.join(', ')}`);
  }
  return name as CommandName;
}

/**
 * A cache action as a write for a batch's transaction; throws CacheInputError when the options,
 * key, value or TTL are invalid (the action then fails with that message).
 */
export function planCacheAction(shopId: string, options: unknown, nowMs: number): CacheWrite {
  const command = parseCacheCommand(options);
  const key = command.key as string;
  switch (command.cmd) {
    case 'set':
    case 'setex':
      return planCacheSet(shopId, key, command.value, checkCacheTtl(command.ttl), nowMs);
    case 'del':
      return planCacheDelete(shopId, key);
    default: {
      const amount = command.amount;
      if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
        throw new CacheInputError(`cache ${command.cmd} needs a whole number amount`);
      }
      const sign = command.cmd.startsWith('decr') ? -1 : 1;
      return planCacheAdd(shopId, key, sign * amount, checkCacheTtl(command.ttl), nowMs);
    }
  }
}

/**
 * Performs a cache action on its own: the write `planCacheAction` plans, applied and copied to KV.
 * The result is the stored value, the counter's new number, or null for del.
 */
export async function performCache(ctx: ActionContext, options: unknown): Promise<ActionOutcome> {
  try {
    return succeeded(await applyCacheWrite(ctx.env, planCacheAction(ctx.shopId, options, Date.now())));
  } catch (err) {
    if (err instanceof CacheInputError) return failed(err.message);
    if (err instanceof CacheCopyError) return failedTransiently(err.message);
    throw err;
  }
}
