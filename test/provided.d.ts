// Values vitest's globalSetup hands to the tests (`inject`), typed for both tsconfigs.
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** Port of the delivery receiver on 127.0.0.1 (test/receiver/server.ts). */
    receiverPort: number;
  }
}
