import type { AuditRecord } from '../../src/audit/audit.types';

/** A complete record for unit specs; override what a spec is about. */
export const auditRecordFixture = (overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
  occurred_at: '2026-01-02T03:04:05.678Z',
  tenant_id: 'acme',
  actor_type: 'api_key',
  actor_id: 'k1',
  action: 'DATA_WRITE',
  outcome: 'success',
  entity_type: null,
  entity_id: null,
  changes: null,
  details: { b: [1, 'x'], a: { z: true, y: null } },
  ip_address: '127.0.0.1',
  user_agent: 'ua',
  correlation_id: 'c1',
  session_id_hash: null,
  request_path: '/api/x',
  route: '/api/x',
  http_method: 'POST',
  status_code: 201,
  duration_ms: 1.25,
  retention_until: '2033-01-02T03:04:05.678Z',
  ...overrides,
});
