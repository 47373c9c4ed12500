import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Rearranges a[lo..hi] so that a[k] holds the value it would have if sorted, smaller-or-equal values before
 * it and greater-or-equal after (quickselect, Hoare partition, median-of-three pivot). Expects no NaN.
 */
export function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const x = a[lo];
    const y = a[(lo + hi) >>> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Percentile with linear interpolation between closest ranks (spreadsheet PERCENTILE.INC). */
function interpolate(below: number, above: number, weight: number): number {
  // Equal neighbours (Infinity among them) need no interpolation, which would turn Infinity into NaN.
  return weight === 0 || below === above ? below : below + (above - below) * weight;
}

/** PERCENTILE.INC of an already sorted array. */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  return interpolate(sorted[lo], sorted[Math.min(lo + 1, sorted.length - 1)], rank - lo);
}

/**
 * PERCENTILE.INC for several p at once without sorting: one quickselect per needed rank, each on the part
 * of the array right of the previous rank, yielding to the event loop between ranks so a 100 000-value run
 * never blocks it for more than about a millisecond (a full sort here holds it for ~8 ms). Reorders `values`.
 */
export async function percentilesOf(values: Float64Array, ps: readonly number[]): Promise<number[]> {
  const n = values.length;
  if (n === 0) return ps.map(() => Number.NaN);
  if (values.some((v) => Number.isNaN(v))) {
    // NaN breaks comparisons; degenerate runs are small to sort, and sort() puts NaN last.
    values.sort();
    return ps.map((p) => percentileOfSorted(values, p));
  }
  const ranks = [
    ...new Set(ps.flatMap((p) => [Math.floor(p * (n - 1)), Math.min(Math.floor(p * (n - 1)) + 1, n - 1)])),
  ];
  ranks.sort((a, b) => a - b);
  let from = 0;
  for (const k of ranks) {
    await yieldToEventLoop();
    selectInPlace(values, k, from, n - 1);
    from = k + 1;
  }
  return ps.map((p) => {
    const rank = p * (n - 1);
    const lo = Math.floor(rank);
    return interpolate(values[lo], values[Math.min(lo + 1, n - 1)], rank - lo);
  });
}
