import { describe, expect, it } from 'vitest';
import { discardBody } from '../../src/http/body';

/** A response whose body is `chunks` chunks of `size` bytes; notes reads and a cancel. */
function streamed(chunks: number, size: number) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled === chunks) return controller.close();
      seen.pulled++;
      controller.enqueue(new Uint8Array(size));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { response: new Response(body), seen };
}

describe('discardBody', () => {
  it('reads a body within the limit to its end without cancelling it', async () => {
    const { response, seen } = streamed(4, 1_000);
    await discardBody(response, 4_000);
    expect(seen).toEqual({ pulled: 4, cancelled: false });
  });

  it('cancels a body once it passes the limit, reading no further', async () => {
    const { response, seen } = streamed(100, 1_000);
    await discardBody(response, 4_000);
    expect(seen).toEqual({ pulled: 5, cancelled: true });
  });

  it('does nothing for a response without a body', async () => {
    await expect(discardBody(new Response(null, { status: 204 }), 10)).resolves.toBeUndefined();
  });
});
