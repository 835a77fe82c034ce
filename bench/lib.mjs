// Shared by the benchmarks.

/**
 * autocannon `requests` that give each request its own client IP, so the ingress rate limiter
 * (per webhook and IP) is called as in production but never trips.
 */
export function distinctClientIps() {
  let n = 0;
  return [
    {
      setupRequest: (/** @type {import('autocannon').Request} */ req) => {
        n++;
        req.headers = { ...req.headers, 'cf-connecting-ip': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
        return req;
      },
    },
  ];
}
