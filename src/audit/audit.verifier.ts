import { Injectable } from '@nestjs/common';
import { canonicalParts, rowHash } from './audit.hash-chain';
import { AuditRepository, type StoredAuditRow } from './audit.repository';
import type { AuditRecord } from './audit.types';

const PAGE = 1_000;

export interface VerifyRange {
  from?: Date;
  to?: Date;
  fromSeq?: bigint;
  toSeq?: bigint;
}

export interface VerifyReport {
  ok: boolean;
  rowsChecked: number;
  fromSeq: string | null;
  toSeq: string | null;
  firstBrokenSeq: string | null;
  reason: string | null;
  head: { seq: string; hash: string };
  checkpoint: { seq: string; hash: string };
}

/** The record content of a stored row, exactly as it was hashed. */
export function contentOf(row: StoredAuditRow): AuditRecord {
  const { seq: _s, prev_hash: _p, hash: _h, legal_hold: _l, ...content } = row;
  return content;
}

/**
 * Recomputes the chain over a seq range (a time range is turned into the seq range of its rows): every row's
 * hash from its content and prev_hash, every link to the previous row, no missing seq, and the head row when
 * the range reaches it. The first row links to the retention checkpoint or to the row before the range.
 */
@Injectable()
export class AuditVerifier {
  constructor(private readonly repository: AuditRepository) {}

  async verify(range: VerifyRange = {}): Promise<VerifyReport> {
    const [head, checkpoint] = await Promise.all([this.repository.head(), this.repository.checkpoint()]);
    const base = {
      head: { seq: head.seq.toString(), hash: head.hash },
      checkpoint: { seq: checkpoint.seq.toString(), hash: checkpoint.hash },
    };
    let lo = range.fromSeq ?? checkpoint.seq + 1n;
    let hi = range.toSeq ?? head.seq;
    if (range.from || range.to) {
      const bounds = await this.repository.seqBounds(range.from, range.to);
      if (bounds.min === null || bounds.max === null) return { ...base, ...this.result(0, null, null, null, null) };
      if (bounds.min > lo) lo = bounds.min;
      if (bounds.max < hi) hi = bounds.max;
    }
    if (lo <= checkpoint.seq) lo = checkpoint.seq + 1n;
    if (hi > head.seq) hi = head.seq;
    if (lo > hi) return { ...base, ...this.result(0, null, null, null, null) };
    let prev = lo === checkpoint.seq + 1n ? checkpoint.hash : await this.repository.hashAt(lo - 1n);
    if (prev === undefined) return { ...base, ...this.result(0, lo, hi, lo - 1n, 'row missing before range') };
    let expected = lo;
    let checked = 0;
    while (expected <= hi) {
      const rows = await this.repository.chainPage(expected - 1n, hi, PAGE);
      if (!rows.length) break;
      for (const row of rows) {
        const seq = BigInt(row.seq);
        if (seq !== expected) return { ...base, ...this.result(checked, lo, hi, expected, 'row missing') };
        if (row.prev_hash !== prev)
          return { ...base, ...this.result(checked, lo, hi, seq, 'prev_hash does not match the previous row') };
        if (rowHash(canonicalParts(contentOf(row)), row.seq, row.prev_hash) !== row.hash)
          return { ...base, ...this.result(checked, lo, hi, seq, 'hash does not match the row content') };
        prev = row.hash;
        expected = seq + 1n;
        checked++;
      }
    }
    if (expected <= hi) return { ...base, ...this.result(checked, lo, hi, expected, 'row missing') };
    if (hi === head.seq && prev !== head.hash)
      return { ...base, ...this.result(checked, lo, hi, head.seq, 'chain head does not match the last row') };
    return { ...base, ...this.result(checked, lo, hi, null, null) };
  }

  private result(checked: number, lo: bigint | null, hi: bigint | null, broken: bigint | null, reason: string | null) {
    return {
      ok: broken === null,
      rowsChecked: checked,
      fromSeq: lo?.toString() ?? null,
      toSeq: hi?.toString() ?? null,
      firstBrokenSeq: broken?.toString() ?? null,
      reason,
    };
  }
}
