import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The writer's first batch protocol (replaced by audit_chain_advance in 1795930000000; kept here, and exported for
 * that migration's down(), so this migration still creates exactly what it always did).
 */
export const AUDIT_LOG_APPEND_FUNCTION = `
      -- The writer's fast path, one autocommit statement per batch. The single writer of an instance carries the
      -- chain head in memory and hashes the batch before calling; the function locks the head row (serialising every
      -- writer of every instance) and inserts the rows and moves the head only if the head is exactly where the
      -- batch continues it, so the chain stays one chain whatever callers send. Otherwise it raises BW409 and
      -- nothing is written. SECURITY INVOKER: the caller's own INSERT/UPDATE privileges apply.
      CREATE FUNCTION audit_log_append(
        p_prev_seq bigint, p_prev_hash bytea, p_last_seq bigint, p_last_hash bytea, p_rows json)
      RETURNS bigint
      LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
      DECLARE
        v_seq bigint;
        v_hash bytea;
        v_count bigint;
      BEGIN
        SELECT h.seq, h.hash INTO v_seq, v_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
        IF v_seq IS DISTINCT FROM p_prev_seq OR v_hash IS DISTINCT FROM p_prev_hash THEN
          RAISE EXCEPTION 'audit_log_append: chain head is at seq %, not %', v_seq, p_prev_seq USING ERRCODE = 'BW409';
        END IF;
        INSERT INTO audit_log (id, seq, occurred_at, tenant_id, actor_type, actor_id, action, outcome, entity_type,
                               entity_id, changes, details, ip_address, user_agent, correlation_id, session_id_hash,
                               request_path, route, http_method, status_code, duration_ms, retention_until,
                               prev_hash, hash)
        SELECT x.id, x.seq, x.occurred_at, x.tenant_id, x.actor_type, x.actor_id, x.action, x.outcome, x.entity_type,
               x.entity_id, x.changes, x.details, x.ip_address::inet, x.user_agent, x.correlation_id,
               x.session_id_hash, x.request_path, x.route, x.http_method, x.status_code, x.duration_ms,
               x.retention_until, decode(x.prev_hash, 'hex'), decode(x.hash, 'hex')
        FROM json_to_recordset(p_rows) AS x(
          id uuid, seq bigint, occurred_at timestamptz, tenant_id text, actor_type text, actor_id text, action text,
          outcome text, entity_type text, entity_id text, changes jsonb, details jsonb, ip_address text,
          user_agent text, correlation_id text, session_id_hash text, request_path text, route text,
          http_method text, status_code smallint, duration_ms float8, retention_until timestamptz, prev_hash text,
          hash text);
        GET DIAGNOSTICS v_count = ROW_COUNT;
        -- The caller computed seq p_prev_seq + 1 .. p_last_seq; a batch of any other size cannot be a continuation.
        IF v_count <> p_last_seq - p_prev_seq THEN
          RAISE EXCEPTION 'audit_log_append: % rows do not continue the chain from seq % to %', v_count, p_prev_seq,
            p_last_seq;
        END IF;
        UPDATE audit_chain_head SET seq = p_last_seq, hash = p_last_hash, updated_at = now() WHERE id = 1;
        RETURN p_last_seq;
      END $$;
      REVOKE ALL ON FUNCTION audit_log_append(bigint, bytea, bigint, bytea, json) FROM PUBLIC;
`;

/**
 * The audit trail: a month-partitioned append-only table, the chain head (one row, locked per batch so
 * every writer of every instance extends one chain), the retention checkpoint, and the two database roles
 * the operator grants to the application's login role:
 * - bulwark_audit_writer: INSERT/SELECT audit rows, extend the chain, create partitions; no UPDATE/DELETE.
 * - bulwark_audit_retention: may run audit_log_purge(), the only path that deletes rows.
 * A trigger refuses UPDATE (except of legal_hold), DELETE outside audit_log_purge() and TRUNCATE for every
 * role, the table owner included. Roles are created only when the connected user may create them.
 */
export class CreateAuditLog1795920000000 implements MigrationInterface {
  name = 'CreateAuditLog1795920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id               uuid          NOT NULL,
        seq              bigint        NOT NULL,
        occurred_at      timestamptz   NOT NULL,
        tenant_id        varchar(64)   NULL,
        actor_type       varchar(16)   NOT NULL CHECK (actor_type IN ('user', 'api_key', 'service', 'anonymous')),
        actor_id         varchar(128)  NULL,
        action           varchar(64)   NOT NULL,
        outcome          varchar(16)   NOT NULL CHECK (outcome IN ('success', 'failure', 'denied', 'partial')),
        entity_type      varchar(64)   NULL,
        entity_id        varchar(128)  NULL,
        changes          jsonb         NULL,
        details          jsonb         NULL,
        ip_address       inet          NULL,
        user_agent       varchar(512)  NULL,
        correlation_id   varchar(128)  NULL,
        session_id_hash  varchar(64)   NULL,
        request_path     varchar(2048) NULL,
        route            varchar(512)  NULL,
        http_method      varchar(10)   NULL,
        status_code      smallint      NULL,
        duration_ms      double precision NULL,
        retention_until  timestamptz   NOT NULL,
        legal_hold       boolean       NOT NULL DEFAULT false,
        prev_hash        bytea         NOT NULL,
        hash             bytea         NOT NULL,
        PRIMARY KEY (occurred_at, id)
      ) PARTITION BY RANGE (occurred_at);
      CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
      CREATE INDEX audit_log_seq_idx ON audit_log (seq);
      CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
      -- Partial: the query API filters these columns by equality, which never matches NULL, so rows without a
      -- value (service events, requests without an entity) cost no entry in these indexes.
      CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, seq) WHERE tenant_id IS NOT NULL;
      CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq) WHERE actor_id IS NOT NULL;
      CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, seq) WHERE entity_type IS NOT NULL;
      CREATE INDEX audit_log_correlation_idx ON audit_log (correlation_id) WHERE correlation_id IS NOT NULL;

      CREATE TABLE audit_chain_head (
        id          smallint    PRIMARY KEY CHECK (id = 1),
        seq         bigint      NOT NULL,
        hash        bytea       NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

      CREATE TABLE audit_chain_checkpoint (
        id                 smallint    PRIMARY KEY CHECK (id = 1),
        last_deleted_seq   bigint      NOT NULL,
        last_deleted_hash  bytea       NOT NULL,
        rows_deleted       bigint      NOT NULL DEFAULT 0,
        updated_at         timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO audit_chain_checkpoint (id, last_deleted_seq, last_deleted_hash)
        VALUES (1, 0, decode(repeat('00', 32), 'hex'));

      CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) - 'legal_hold') = (to_jsonb(NEW) - 'legal_hold') THEN
          RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' AND current_setting('bulwark.audit_purge', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

      ${AUDIT_LOG_APPEND_FUNCTION}

      -- Monthly partitions [month, month + 1). Runs as the owner so the writer role can call it.
      CREATE FUNCTION audit_log_ensure_partitions(p_from timestamptz, p_months integer) RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE
        v_start date := date_trunc('month', p_from AT TIME ZONE 'UTC')::date;
        v_created integer := 0;
        v_name text;
        -- Partitions live next to audit_log, never in pg_catalog (first on this function's search_path).
        v_schema text := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE c.oid = 'audit_log'::regclass);
      BEGIN
        FOR i IN 0 .. greatest(p_months, 0) LOOP
          v_name := format('audit_log_p%s', to_char(v_start + make_interval(months => i), 'YYYYMM'));
          IF to_regclass(format('%I.%I', v_schema, v_name)) IS NULL THEN
            BEGIN
              EXECUTE format(
                'CREATE TABLE %I.%I PARTITION OF %I.audit_log FOR VALUES FROM (%L) TO (%L)',
                v_schema,
                v_name,
                v_schema,
                (v_start + make_interval(months => i))::timestamp AT TIME ZONE 'UTC',
                (v_start + make_interval(months => i + 1))::timestamp AT TIME ZONE 'UTC');
              v_created := v_created + 1;
            EXCEPTION WHEN check_violation THEN
              -- Rows for that month already sit in the default partition; they stay there (still queried).
              RAISE WARNING 'audit_log: partition % not created: the default partition holds rows for it', v_name;
            END;
          END IF;
        END LOOP;
        RETURN v_created;
      END $$;
      SELECT audit_log_ensure_partitions(now() - interval '1 month', 4);

      -- The only way rows leave the table: the oldest expired, not held rows, as a prefix of the chain, so
      -- the rest still verifies from the checkpoint recorded in the same transaction.
      CREATE FUNCTION audit_log_purge(p_limit integer DEFAULT 10000, p_now timestamptz DEFAULT now())
      RETURNS bigint
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE
        v_stop bigint;
        v_last bigint;
        v_hash bytea;
        v_count bigint;
      BEGIN
        PERFORM 1 FROM audit_chain_checkpoint WHERE id = 1 FOR UPDATE;
        SELECT min(seq) INTO v_stop FROM audit_log WHERE retention_until > p_now OR legal_hold;
        SELECT max(s.seq) INTO v_last FROM (
          SELECT seq FROM audit_log WHERE v_stop IS NULL OR seq < v_stop ORDER BY seq LIMIT greatest(p_limit, 0)
        ) s;
        IF v_last IS NULL THEN
          RETURN 0;
        END IF;
        SELECT hash INTO v_hash FROM audit_log WHERE seq = v_last;
        PERFORM set_config('bulwark.audit_purge', 'on', true);
        DELETE FROM audit_log WHERE seq <= v_last;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        PERFORM set_config('bulwark.audit_purge', 'off', true);
        UPDATE audit_chain_checkpoint
           SET last_deleted_seq = v_last, last_deleted_hash = v_hash,
               rows_deleted = rows_deleted + v_count, updated_at = now()
         WHERE id = 1;
        RETURN v_count;
      END $$;
      REVOKE ALL ON FUNCTION audit_log_purge(integer, timestamptz) FROM PUBLIC;
      REVOKE ALL ON FUNCTION audit_log_ensure_partitions(timestamptz, integer) FROM PUBLIC;
    `);
    await q.query(`
      DO $$
      BEGIN
        BEGIN
          CREATE ROLE bulwark_audit_writer NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
        BEGIN
          CREATE ROLE bulwark_audit_retention NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
        GRANT SELECT, INSERT ON audit_log TO bulwark_audit_writer;
        GRANT UPDATE (legal_hold) ON audit_log TO bulwark_audit_retention;
        GRANT SELECT, UPDATE ON audit_chain_head TO bulwark_audit_writer;
        GRANT SELECT ON audit_chain_checkpoint TO bulwark_audit_writer, bulwark_audit_retention;
        GRANT SELECT ON audit_log TO bulwark_audit_retention;
        GRANT EXECUTE ON FUNCTION audit_log_ensure_partitions(timestamptz, integer)
          TO bulwark_audit_writer, bulwark_audit_retention;
        GRANT EXECUTE ON FUNCTION audit_log_purge(integer, timestamptz) TO bulwark_audit_retention;
        GRANT EXECUTE ON FUNCTION audit_log_append(bigint, bytea, bigint, bytea, json) TO bulwark_audit_writer;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING 'audit_log: the migrating user may not create roles. An operator must run: '
          'CREATE ROLE bulwark_audit_writer NOLOGIN; CREATE ROLE bulwark_audit_retention NOLOGIN; '
          'GRANT SELECT, INSERT ON audit_log TO bulwark_audit_writer; '
          'GRANT SELECT, UPDATE ON audit_chain_head TO bulwark_audit_writer; '
          'GRANT EXECUTE ON FUNCTION audit_log_append(bigint, bytea, bigint, bytea, json) TO bulwark_audit_writer; '
          'GRANT EXECUTE ON FUNCTION audit_log_purge(integer, timestamptz) TO bulwark_audit_retention; '
          'and grant bulwark_audit_writer (not the table owner role) to the application login.';
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION IF EXISTS audit_log_append(bigint, bytea, bigint, bytea, json);
      DROP FUNCTION IF EXISTS audit_log_purge(integer, timestamptz);
      DROP FUNCTION IF EXISTS audit_log_ensure_partitions(timestamptz, integer);
      DROP TABLE IF EXISTS audit_log;
      DROP FUNCTION IF EXISTS audit_log_guard();
      DROP TABLE IF EXISTS audit_chain_checkpoint;
      DROP TABLE IF EXISTS audit_chain_head;
    `);
    // Roles are cluster-wide and may still hold privileges in other databases of the cluster; keep them then.
    await q.query(`
      DO $$
      BEGIN
        DROP ROLE IF EXISTS bulwark_audit_writer;
        DROP ROLE IF EXISTS bulwark_audit_retention;
      EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
        RAISE NOTICE 'audit roles kept: they are still used elsewhere or may not be dropped by this user';
      END $$;
    `);
  }
}
