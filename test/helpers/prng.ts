/** Seeded PRNG for randomized tests (splitmix32); print the seed so a failure can be replayed. */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export function testSeed(name: string): number {
  const env = process.env['F2KV_SEED'];
  const seed = env !== undefined ? Number(env) : (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0;
  // eslint-disable-next-line no-console
  console.log(`[${name}] seed=${seed} (replay with F2KV_SEED=${seed})`);
  return seed;
}
