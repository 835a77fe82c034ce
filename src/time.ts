/** ISO 8601 UTC with milliseconds, the one timestamp format stored in D1. */
export const nowIso = (): string => new Date().toISOString();
