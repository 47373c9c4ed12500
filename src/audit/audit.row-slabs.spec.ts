import fc from 'fast-check';
import { auditRecordFixture } from '../../test/factories/audit-record.factory';
import { canonicalParts } from './audit.hash-chain';
import { prepareRow, type CopyRow } from './audit.row-format';
import { slabStats, SLAB_BYTES } from './audit.row-slabs';
import type { AuditRecord } from './audit.types';

/** A record whose prepared row takes about `kb` KB, so a few fill a slab. */
const recordOf = (n: number, kb: number): AuditRecord =>
  auditRecordFixture({
    id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    details: { n, pad: 'é'.repeat(kb * 300) },
  });

describe('prepared rows in reused slabs', () => {
  it('never overwrites a live row, whatever the order rows are stored and released in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ store: fc.integer({ min: 1, max: 120 }) }), fc.record({ release: fc.nat() })), {
          maxLength: 60,
        }),
        (ops) => {
          const live: Array<{ row: CopyRow; record: AuditRecord }> = [];
          let n = 0;
          for (const op of ops) {
            if ('store' in op) {
              const record = recordOf(n++, op.store);
              live.push({ row: prepareRow(record, 'copy'), record });
            } else if (live.length) {
              live.splice(op.release % live.length, 1)[0].row.release();
            }
            for (const { row, record } of live) {
              expect(row.id).toBe(record.id);
              expect(row.parts).toEqual(canonicalParts(record));
            }
          }
          for (const { row } of live) row.release();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reuses the same slabs under steady load instead of allocating new ones', () => {
    const before = slabStats();
    // Far more bytes than one slab, each row released before the next few are stored: a steady queue.
    const window: CopyRow[] = [];
    for (let i = 0; i < 2_000; i++) {
      window.push(prepareRow(recordOf(i, 2), 'copy'));
      if (window.length > 20) window.shift()!.release();
    }
    for (const row of window) row.release();
    const after = slabStats();
    expect(2_000 * 2 * 1024).toBeGreaterThan(10 * SLAB_BYTES);
    expect(after.slabsAllocated - before.slabsAllocated).toBeLessThanOrEqual(2);
    expect(after.liveRows).toBe(before.liveRows);
  });

  it('refuses to read a released row, and releasing twice counts once', () => {
    const before = slabStats().liveRows;
    const record = recordOf(1, 1);
    const row = prepareRow(record, 'copy');
    expect(slabStats().liveRows).toBe(before + 1);
    row.release();
    row.release();
    expect(slabStats().liveRows).toBe(before);
    expect(() => row.parts).toThrow(/after release/);
    expect(() => row.id).toThrow(/after release/);
  });

  it('gives a row larger than a slab a slab of its own, read back exactly', () => {
    const record = auditRecordFixture({ details: { big: 'x'.repeat(SLAB_BYTES) } });
    const row = prepareRow(record, 'copy');
    expect(row.parts).toEqual(canonicalParts(record));
    row.release();
  });
});
