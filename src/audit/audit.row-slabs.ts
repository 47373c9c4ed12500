/**
 * Where prepared audit rows keep their bytes: slabs allocated outside the V8 heap and reused.
 *
 * A queued row lives until its batch commits, which outlasts a young-generation collection or two. Held as strings
 * (about 1.5 KB per row), every queued row was copied by the collector and promoted to the old generation. Held in a
 * slab, the collector moves one small object per row. Slabs are reused rather than left to the collector: writing
 * into fresh memory (page faults, cold cache lines) measured as costly as the strings were, while under steady load
 * a reused slab's bytes are still in cache.
 *
 * A slab counts the rows stored in it that are not yet released. Its space is reused only when that count is zero,
 * so a live row is never overwritten; a released row refuses to be read (see CopyRow), so a stale handle cannot read
 * another row's bytes. A row that is never released only keeps its slab from reuse until the collector frees both.
 */
export class Slab {
  used = 0;
  live = 0;

  constructor(readonly bytes: Buffer) {}

  get recyclable(): boolean {
    return this.bytes.length === SLAB_BYTES;
  }
}

/** Slab size; a row larger than this gets a slab of its own, which is never reused. */
export const SLAB_BYTES = 256 * 1024;
/** Empty slabs kept for reuse at most (beyond them, empty slabs are left to the collector). */
const MAX_FREE_SLABS = 8;

const counters = { allocated: 0, liveRows: 0 };
let current = newSlab(SLAB_BYTES);
const free: Slab[] = [];

function newSlab(bytes: number): Slab {
  counters.allocated++;
  return new Slab(Buffer.allocUnsafeSlow(bytes));
}

/**
 * A slab with at least `maxBytes` free at `used`, counted as holding one more live row. The caller writes the row
 * at `slab.used` and advances `used` by the bytes it wrote.
 */
export function slabFor(maxBytes: number): Slab {
  let slab = current;
  if (slab.bytes.length - slab.used < maxBytes) {
    if (maxBytes > SLAB_BYTES) slab = newSlab(maxBytes);
    else {
      // The current slab is full; it returns to the free list when its last row is released (see releaseFrom).
      current = slab = free.pop() ?? newSlab(SLAB_BYTES);
    }
  }
  slab.live++;
  counters.liveRows++;
  return slab;
}

/** One row stored in `slab` is done with: its bytes may be overwritten once the slab holds no live row. */
export function releaseFrom(slab: Slab): void {
  slab.live--;
  counters.liveRows--;
  if (slab.live) return;
  if (slab === current) slab.used = 0;
  else if (slab.recyclable && free.length < MAX_FREE_SLABS) {
    slab.used = 0;
    free.push(slab);
  }
}

/** For tests and diagnostics: rows stored and not yet released, and slabs allocated since start. */
export function slabStats(): { liveRows: number; slabsAllocated: number; freeSlabs: number } {
  return { liveRows: counters.liveRows, slabsAllocated: counters.allocated, freeSlabs: free.length };
}
