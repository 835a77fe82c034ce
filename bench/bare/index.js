// The baseline: a Worker that answers 204 at once, on the same runtime as edgehook.
export default {
  async fetch() {
    return new Response(null, { status: 204 });
  },
};
