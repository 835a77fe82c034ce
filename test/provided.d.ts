// Values provided by vitest globalSetup (test/node/http-receiver.ts) to the workers tests.
declare module 'vitest' {
  export interface ProvidedContext {
    receiverPort: number;
  }
}
export {};
