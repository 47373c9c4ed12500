import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_LOG_APPEND_FUNCTION } from './1795920000000-CreateAuditLog';

/**
 * This migration's audit_chain_advance (1795940000000 lightens its check), exported for that migration's down(), so
 * this migration still creates exactly what it always did. OR REPLACE keeps the function's grants when down() restores
 * it.
 */
export const AUDIT_CHAIN_ADVANCE_FUNCTION = `
      CREATE OR REPLACE FUNCTION audit_chain_advance(p_prev_seq bigint, p_prev_hash bytea, p_last_seq bigint, p_last_hash bytea)
      RETURNS bigint
      LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
      DECLARE
        v_seq bigint;
        v_hash bytea;
        v_count bigint;
        v_distinct bigint;
      BEGIN
        SELECT h.seq, h.hash INTO v_seq, v_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
        IF v_seq IS DISTINCT FROM p_prev_seq OR v_hash IS DISTINCT FROM p_prev_hash THEN
          RAISE EXCEPTION 'audit_chain_advance: chain head is at seq %, not %', v_seq, p_prev_seq USING ERRCODE = 'BW409';
        END IF;
        IF p_last_seq <= p_prev_seq THEN
          RAISE EXCEPTION 'audit_chain_advance: empty batch (seq % after %)', p_last_seq, p_prev_seq
            USING ERRCODE = 'BW422';
        END IF;
        SELECT count(*), count(DISTINCT a.seq) INTO v_count, v_distinct
          FROM audit_log a WHERE a.seq > p_prev_seq AND a.seq <= p_last_seq;
        IF v_count <> p_last_seq - p_prev_seq OR v_distinct <> v_count
           OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = p_prev_seq + 1 AND a.prev_hash = p_prev_hash)
           OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = p_last_seq AND a.hash = p_last_hash) THEN
          RAISE EXCEPTION 'audit_chain_advance: % rows do not continue the chain from seq % to %', v_count,
            p_prev_seq, p_last_seq USING ERRCODE = 'BW422';
        END IF;
        UPDATE audit_chain_head SET seq = p_last_seq, hash = p_last_hash, updated_at = now() WHERE id = 1;
        RETURN p_last_seq;
      END $$;
`;

/**
 * The writer's batch protocol becomes "insert the rows, then advance the head" inside one transaction, so the rows
 * can arrive by COPY (which a function cannot wrap) on PostgreSQL and by one INSERT on PGlite:
 *
 *   BEGIN; COPY audit_log (...) FROM STDIN; SELECT audit_chain_advance(prev, last); COMMIT;
 *
 * audit_chain_advance locks the head row (serialising every writer of every instance, for the shortest time: after
 * the rows are in), and moves the head only if it is exactly where the batch continues it and the rows this
 * transaction sees in (prev_seq, last_seq] are that continuation: one row per seq, the first linked to the old head,
 * the last carrying the new head's hash. Otherwise it raises BW409 (head moved) or BW422 (rows do not continue the
 * chain) and the caller rolls back, so the rows never become visible. It replaces audit_log_append.
 */
export class AuditChainAdvance1795930000000 implements MigrationInterface {
  name = 'AuditChainAdvance1795930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ${AUDIT_CHAIN_ADVANCE_FUNCTION}
      REVOKE ALL ON FUNCTION audit_chain_advance(bigint, bytea, bigint, bytea) FROM PUBLIC;
      DROP FUNCTION audit_log_append(bigint, bytea, bigint, bytea, json);
    `);
    await q.query(`
      DO $$
      BEGIN
        GRANT EXECUTE ON FUNCTION audit_chain_advance(bigint, bytea, bigint, bytea) TO bulwark_audit_writer;
      EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
        RAISE WARNING 'audit_log: an operator must run: '
          'GRANT EXECUTE ON FUNCTION audit_chain_advance(bigint, bytea, bigint, bytea) TO bulwark_audit_writer;';
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(AUDIT_LOG_APPEND_FUNCTION);
    await q.query(`
      DROP FUNCTION IF EXISTS audit_chain_advance(bigint, bytea, bigint, bytea);
      DO $$
      BEGIN
        GRANT EXECUTE ON FUNCTION audit_log_append(bigint, bytea, bigint, bytea, json) TO bulwark_audit_writer;
      EXCEPTION WHEN undefined_object OR insufficient_privilege THEN NULL;
      END $$;
    `);
  }
}
