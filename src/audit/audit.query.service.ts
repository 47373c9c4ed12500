import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { AuditErrorCode, AuditException } from './audit.exception';
import { AuditRepository, type AuditFilters, type StoredAuditRow } from './audit.repository';
import { AUDIT_RECORD_COLUMNS } from './audit.types';

const EXPORT_PAGE = 1_000;

export const EXPORT_COLUMNS = ['seq', ...AUDIT_RECORD_COLUMNS, 'legal_hold', 'prev_hash', 'hash'] as const;

export interface AuditPage {
  items: StoredAuditRow[];
  nextCursor: string | null;
}

export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): bigint {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^s:(\d{1,19})$/.exec(text);
  if (!m) throw new AuditException(AuditErrorCode.InvalidCursor, 'The cursor is not one this API returned.');
  return BigInt(m[1]);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Spreadsheet formula injection: a cell starting with = + - @ (or a tab/CR) is forced to text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Keyset-paginated reads and streamed exports; memory use is one page whatever the size of the result. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly repository: AuditRepository) {}

  async list(filters: AuditFilters, limit: number, cursor?: string): Promise<AuditPage> {
    if (filters.from && filters.to && filters.from >= filters.to)
      throw new AuditException(AuditErrorCode.InvalidRange, '`from` must be earlier than `to`.');
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await this.repository.page(filters, limit + 1, after, 'desc');
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].seq) : null };
  }

  /** Rows in chain order as NDJSON or CSV, fetched a page at a time as the client reads. */
  export(filters: AuditFilters, format: 'ndjson' | 'csv'): Readable {
    if (filters.from && filters.to && filters.from >= filters.to)
      throw new AuditException(AuditErrorCode.InvalidRange, '`from` must be earlier than `to`.');
    const repository = this.repository;
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\r\n`;
      let cursor: bigint | undefined;
      for (;;) {
        const rows = await repository.page(filters, EXPORT_PAGE, cursor, 'asc');
        if (!rows.length) return;
        let chunk = '';
        for (const row of rows) {
          chunk +=
            format === 'csv'
              ? `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`
              : `${JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, row[c]])))}\n`;
        }
        yield chunk;
        if (rows.length < EXPORT_PAGE) return;
        cursor = BigInt(rows[rows.length - 1].seq);
      }
    }
    return Readable.from(lines(), { objectMode: false });
  }
}
