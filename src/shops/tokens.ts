import { randomHex, sha256Hex } from '../crypto';

/** Prefix of app access tokens, so a leaked one is recognisable in logs and secret scanners. */
export const ACCESS_TOKEN_PREFIX = 'eh_';

/** A new app access token: 192 random bits. Shown once; only its hash is stored. */
export const newAccessToken = (): string => ACCESS_TOKEN_PREFIX + randomHex(24);

/** Tokens are random, not passwords, so a plain SHA-256 is the right hash (no stretching needed). */
export const hashAccessToken = (token: string): Promise<string> => sha256Hex(token);
