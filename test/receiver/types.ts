/** A request the test receiver recorded (shared by the Node server and the Worker tests). */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  bodyBase64: string;
  receivedAt: number;
  /** The number of the TCP connection it came on (1, 2, … in the order they were opened). */
  connection: number;
  /** Requests to the same key in flight when this one arrived, itself included. */
  concurrent: number;
  answered: number;
  shopifyHmacValid: boolean | null;
  /** One result per secret in the script's `standardSecrets`, in order. */
  standardSignatureValid: boolean[];
}
