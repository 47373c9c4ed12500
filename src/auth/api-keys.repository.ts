import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ApiKeyRole } from './api-key.format';

export interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  tenant_id: string;
  key_prefix: string;
  is_bootstrap: boolean;
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface NewApiKey {
  name: string;
  role: ApiKeyRole;
  tenantId: string;
  prefix: string;
  hash: Buffer;
  isBootstrap: boolean;
  createdBy: string | null;
  expiresAt: Date | null;
}

const COLUMNS =
  'id, name, role, tenant_id, key_prefix, is_bootstrap, created_by, created_at, expires_at, revoked_at, last_used_at';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(k: NewApiKey): Promise<ApiKeyRow> {
    const rows: ApiKeyRow[] = await this.db.query(
      `INSERT INTO api_keys (name, role, tenant_id, key_prefix, key_hash, is_bootstrap, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [k.name, k.role, k.tenantId, k.prefix, k.hash, k.isBootstrap, k.createdBy, k.expiresAt],
    );
    return rows[0];
  }

  async findUsableByHash(hash: Buffer): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM api_keys
        WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [hash],
    );
    return rows[0];
  }

  async findById(id: string): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = await this.db.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0];
  }

  async list(filter: {
    tenantId?: string;
    includeRevoked: boolean;
    limit: number;
    after?: { createdAt: string; id: string };
  }): Promise<Array<ApiKeyRow & { cursor_created_at: string }>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.tenantId !== undefined) {
      params.push(filter.tenantId);
      where.push(`tenant_id = $${params.length}`);
    }
    if (!filter.includeRevoked) where.push('revoked_at IS NULL');
    if (filter.after) {
      params.push(filter.after.createdAt, filter.after.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(filter.limit);
    // The cursor needs created_at to the microsecond: a JS Date keeps milliseconds, and keys created in the
    // same millisecond would otherwise be skipped by the keyset comparison.
    return this.db.query(
      `SELECT ${COLUMNS},
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_created_at
         FROM api_keys ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** Revokes the key if it is still active; returns the row either way (undefined if it does not exist). */
  async revoke(id: string): Promise<{ row: ApiKeyRow; changed: boolean } | undefined> {
    // For UPDATE ... RETURNING, TypeORM's postgres driver answers [rows, rowCount].
    const [rows]: [ApiKeyRow[], number] = await this.db.query(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [id],
    );
    if (rows[0]) return { row: rows[0], changed: true };
    const existing = await this.findById(id);
    return existing ? { row: existing, changed: false } : undefined;
  }

  /** Revokes bootstrap admin keys other than the one currently configured. */
  async revokeOtherBootstrapKeys(keep: Buffer): Promise<void> {
    await this.db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE is_bootstrap AND revoked_at IS NULL AND key_hash <> $1',
      [keep],
    );
  }

  async existsByHash(hash: Buffer): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [
      hash,
    ]);
    return rows.length > 0;
  }

  async touchLastUsed(id: string): Promise<void> {
    await this.db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }
}
