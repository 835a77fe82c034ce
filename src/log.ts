/**
 * Structured logs, one JSON object per line (Workers Logs indexes the fields). Callers pass ids and
 * counts, never tokens, secrets or event data.
 */
type Fields = Record<string, unknown>;

function write(level: 'info' | 'warn' | 'error', message: string, fields: Fields): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

/** One line describing anything thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Turns anything thrown into a loggable description (name, message, stack). */
export function describeError(err: unknown): Fields {
  return { error: errorText(err), ...(err instanceof Error ? { stack: err.stack } : {}) };
}

export const log = {
  info: (message: string, fields: Fields = {}) => write('info', message, fields),
  warn: (message: string, fields: Fields = {}) => write('warn', message, fields),
  error: (message: string, fields: Fields = {}) => write('error', message, fields),
};
