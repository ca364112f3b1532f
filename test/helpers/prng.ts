/** Seeded randomness for randomized tests: print the seed so a failure can be replayed. */
import { Prng } from '../../src/core/prng.js';

/** A function returning floats in [0, 1) from the project's seeded Prng. */
export function makeRng(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.nextFloat();
}

export function testSeed(name: string): number {
  const env = process.env['F2KV_SEED'];
  const seed = env !== undefined ? Number(env) : (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0;
  console.log(`[${name}] seed=${seed} (replay with F2KV_SEED=${seed})`);
  return seed;
}
