/**
 * Mulberry32: a tiny, fast 32-bit PRNG. Not cryptographic; chosen because a seed fully determines the
 * sequence on every platform, so a failing fault-injection or Monte Carlo run can be replayed exactly.
 * Returns floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
