import { asObject, failed, succeeded, type ActionOutcome } from './types';

/** `echo`: the result is the options; `{"__error": msg}` makes it fail with msg (for testing tasks). */
export function performEcho(options: unknown): ActionOutcome {
  const object = asObject(options);
  if (object && '__error' in object) return failed(String(object['__error']));
  return succeeded(options);
}
