import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_CHAIN_ADVANCE_FUNCTION } from './1795930000000-AuditChainAdvance';

/** The filter columns whose indexes compare text; their collation becomes "C" (byte order). */
const TEXT_FILTER_COLUMNS: ReadonlyArray<[column: string, type: string]> = [
  ['action', 'varchar(64)'],
  ['tenant_id', 'varchar(64)'],
  ['actor_id', 'varchar(128)'],
  ['entity_type', 'varchar(64)'],
  ['entity_id', 'varchar(128)'],
  ['correlation_id', 'varchar(128)'],
];

function collate(to: 'C' | 'default'): string {
  const clause = to === 'C' ? ' COLLATE "C"' : ' COLLATE "default"';
  return `ALTER TABLE audit_log ${TEXT_FILTER_COLUMNS.map(([c, type]) => `ALTER COLUMN ${c} TYPE ${type}${clause}`).join(', ')};`;
}

/**
 * Cuts PostgreSQL's work per audit row, which bounds the writer (bench/audit.ts: about 15 µs of PostgreSQL CPU per
 * row, of which the five secondary indexes took about 40 %):
 * - The text columns the query API filters by compare in the "C" collation (bytes). The filters are equalities, which
 *   mean the same in every deterministic collation, and the indexes order by seq, so only the cost changes: a
 *   locale-aware comparison per btree step becomes memcmp (the database's default collation may be any locale).
 * - entity_id and correlation_id get hash indexes instead of btrees: both are equality filters on values that are
 *   often random (domain ids, clients' request ids), where a btree insert walks to a random leaf with text
 *   comparisons at every level and a hash insert computes one hash and lands in its bucket. entity_type alone is then
 *   filtered on the seq order (documented in docs/audit.md).
 * - audit_chain_advance checks the batch by its count and both ends instead of also counting distinct seqs (a sort
 *   of the batch per commit). Head lock, head match and both links are checked as before; a duplicate seq inside a
 *   batch (which the count alone would not see if a seq is also missing) is still found by verify.
 */
export class AuditWriteCost1795940000000 implements MigrationInterface {
  name = 'AuditWriteCost1795940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ${collate('C')}
      DROP INDEX audit_log_entity_idx;
      CREATE INDEX audit_log_entity_idx ON audit_log USING hash (entity_id);
      DROP INDEX audit_log_correlation_idx;
      CREATE INDEX audit_log_correlation_idx ON audit_log USING hash (correlation_id);
      CREATE OR REPLACE FUNCTION audit_chain_advance(
        p_prev_seq bigint, p_prev_hash bytea, p_last_seq bigint, p_last_hash bytea)
      RETURNS bigint
      LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
      DECLARE
        v_seq bigint;
        v_hash bytea;
        v_count bigint;
      BEGIN
        SELECT h.seq, h.hash INTO v_seq, v_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
        IF v_seq IS DISTINCT FROM p_prev_seq OR v_hash IS DISTINCT FROM p_prev_hash THEN
          RAISE EXCEPTION 'audit_chain_advance: chain head is at seq %, not %', v_seq, p_prev_seq USING ERRCODE = 'BW409';
        END IF;
        IF p_last_seq <= p_prev_seq THEN
          RAISE EXCEPTION 'audit_chain_advance: empty batch (seq % after %)', p_last_seq, p_prev_seq
            USING ERRCODE = 'BW422';
        END IF;
        SELECT count(*) INTO v_count FROM audit_log a WHERE a.seq > p_prev_seq AND a.seq <= p_last_seq;
        IF v_count <> p_last_seq - p_prev_seq
           OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = p_prev_seq + 1 AND a.prev_hash = p_prev_hash)
           OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = p_last_seq AND a.hash = p_last_hash) THEN
          RAISE EXCEPTION 'audit_chain_advance: % rows do not continue the chain from seq % to %', v_count,
            p_prev_seq, p_last_seq USING ERRCODE = 'BW422';
        END IF;
        UPDATE audit_chain_head SET seq = p_last_seq, hash = p_last_hash, updated_at = now() WHERE id = 1;
        RETURN p_last_seq;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ${AUDIT_CHAIN_ADVANCE_FUNCTION}
      DROP INDEX audit_log_correlation_idx;
      CREATE INDEX audit_log_correlation_idx ON audit_log (correlation_id) WHERE correlation_id IS NOT NULL;
      DROP INDEX audit_log_entity_idx;
      CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, seq) WHERE entity_type IS NOT NULL;
      ${collate('default')}
    `);
  }
}
