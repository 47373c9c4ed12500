import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1795910000000 implements MigrationInterface {
  name = 'CreateApiKeys1795910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name          varchar(100) NOT NULL,
        role          varchar(16)  NOT NULL CHECK (role IN ('client', 'auditor', 'admin')),
        tenant_id     varchar(64)  NOT NULL,
        key_prefix    varchar(24)  NOT NULL,
        key_hash      bytea        NOT NULL,
        is_bootstrap  boolean      NOT NULL DEFAULT false,
        created_by    uuid         NULL,
        created_at    timestamptz  NOT NULL DEFAULT now(),
        expires_at    timestamptz  NULL,
        revoked_at    timestamptz  NULL,
        last_used_at  timestamptz  NULL
      );
      CREATE UNIQUE INDEX api_keys_key_hash_uq ON api_keys (key_hash);
      CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
  }
}
