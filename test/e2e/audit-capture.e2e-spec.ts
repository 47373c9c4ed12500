import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../src/audit/audit.writer';
import { AppConfig } from '../../src/config/app.config';
import { createRootLogger } from '../../src/observability/logger.factory';
import { auditRows, counterValue, createAuditTestApp, rid, rowsFor } from './audit-helpers';

type App = Awaited<ReturnType<typeof createAuditTestApp>>;

describe('audit capture', () => {
  let t: App;
  let clientKey: string;

  beforeAll(async () => {
    t = await createAuditTestApp();
    const res = await t.asAdmin({
      method: 'POST',
      url: '/api/admin/api-keys',
      payload: { name: 'client', role: 'client', tenantId: 'acme' },
    });
    clientKey = (res.json() as { key: string }).key;
  });
  afterAll(() => t.close());

  it('records a mutating admin request exactly once, named by its domain event, without the secret', async () => {
    const id = rid();
    // Records are counted when built, shortly after their response: earlier requests' records are built first.
    await t.app.get(AuditWriter).flush();
    const before = await counterValue('audit_events_total');
    const res = await t.asAdmin({
      method: 'POST',
      url: '/api/admin/api-keys',
      headers: { 'x-request-id': id, 'user-agent': 'jest\r\nforged: 1' },
      payload: { name: 'billing', role: 'client', tenantId: 'acme' },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as { id: string; key: string };
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'API_KEY_CREATED',
      outcome: 'success',
      actor_type: 'api_key',
      entity_type: 'api_key',
      entity_id: created.id,
      http_method: 'POST',
      status_code: 201,
      route: '/api/admin/api-keys',
      request_path: '/api/admin/api-keys',
      ip_address: '127.0.0.1',
    });
    expect(rows[0].changes).toMatchObject({ after: { name: 'billing', role: 'client', tenantId: 'acme' } });
    expect(JSON.stringify(rows[0])).not.toContain(created.key);
    expect((await counterValue('audit_events_total')) - before).toBe(1);
  });

  it('records an admin read exactly once', async () => {
    const id = rid();
    const res = await t.asAdmin({ method: 'GET', url: '/api/admin/api-keys?limit=5', headers: { 'x-request-id': id } });
    expect(res.statusCode).toBe(200);
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'DATA_READ', outcome: 'success', status_code: 200 });
    expect(rows[0].details).toEqual({ query: { limit: '5' } });
  });

  it.each([
    ['an admin route without a key', '/api/admin/api-keys', {}],
    ['a client route without a key', '/api/audit-test/ok', {}],
    ['an admin route with an unknown key', '/api/admin/api-keys', { 'x-api-key': 'bwk_nope' }],
  ])('records a 401 on %s exactly once, before any interceptor ran', async (_name, url, headers) => {
    const id = rid();
    const res = await t.inject({ method: 'GET', url, headers: { ...headers, 'x-request-id': id } });
    expect(res.statusCode).toBe(401);
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'LOGIN_FAILURE',
      outcome: 'denied',
      actor_type: 'anonymous',
      status_code: 401,
    });
  });

  it('records a 403 exactly once with the denied actor', async () => {
    const id = rid();
    const res = await t.inject({
      method: 'GET',
      url: '/api/admin/api-keys',
      headers: { 'x-api-key': clientKey, 'x-request-id': id },
    });
    expect(res.statusCode).toBe(403);
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'ACCESS_DENIED',
      outcome: 'denied',
      actor_type: 'api_key',
      tenant_id: 'acme',
    });
  });

  it('records a 429 exactly once', async () => {
    const id = rid();
    const res = await t.inject({
      method: 'POST',
      url: '/api/audit-test/limited',
      headers: { 'x-api-key': clientKey, 'x-request-id': id },
    });
    expect(res.statusCode).toBe(429);
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'RATE_LIMITED', outcome: 'denied', status_code: 429 });
  });

  it('records a 5xx on a read route exactly once', async () => {
    const id = rid();
    const res = await t.inject({
      method: 'GET',
      url: '/api/audit-test/boom',
      headers: { 'x-api-key': clientKey, 'x-request-id': id },
    });
    expect(res.statusCode).toBe(500);
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'REQUEST_FAILED', outcome: 'failure', status_code: 500 });
  });

  it('records a mutating request to an unknown route exactly once', async () => {
    const id = rid();
    const res = await t.inject({ method: 'DELETE', url: '/api/nowhere/1', headers: { 'x-request-id': id } });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(await rowsFor(t, id)).toHaveLength(1);
  });

  it.each([
    ['a successful client read', 'GET', '/api/audit-test/ok', true],
    ['an unknown read route', 'GET', '/api/nowhere', false],
    ['liveness', 'GET', '/health/live', false],
    ['the detailed health view', 'GET', '/health', false],
    ['metrics', 'GET', '/metrics', false],
    ['the OpenAPI document', 'GET', '/docs-json', false],
  ] as const)('does not record %s', async (_name, method, url, withKey) => {
    const id = rid();
    const headers: Record<string, string> = { 'x-request-id': id };
    if (withKey) headers['x-api-key'] = clientKey;
    await t.inject({ method, url, headers });
    await t.inject({ method: 'POST', url: '/api/admin/api-keys', headers: { 'x-request-id': `${id}-marker` } });
    // The marker (a 401) is written after the request under test, so its presence proves the flush covered it.
    expect(await rowsFor(t, `${id}-marker`)).toHaveLength(1);
    expect(await rowsFor(t, id)).toHaveLength(0);
  });

  it('stores request bodies redacted', async () => {
    const id = rid();
    const res = await t.asAdmin({
      method: 'POST',
      url: '/api/admin/api-keys',
      headers: { 'x-request-id': id },
      payload: {
        name: 'x',
        role: 'client',
        tenantId: 'acme',
        password: 'hunter22',
        note: 'card 4111 1111 1111 1111, mail jane.doe@example.com, Bearer abcdefghijkl123',
        nested: [{ client_secret: 'cs_123' }],
      },
    });
    expect(res.statusCode).toBe(400);
    const [row] = await rowsFor(t, id);
    expect(row).toMatchObject({ outcome: 'failure', status_code: 400 });
    expect(row.details).toEqual({
      body: {
        name: 'x',
        role: 'client',
        tenantId: 'acme',
        password: '[REDACTED]',
        note: 'card ****-****-****-1111, mail jan***@example.com, Bearer [REDACTED]',
        nested: [{ client_secret: '[REDACTED]' }],
      },
    });
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const id = rid();
    await t.inject({
      method: 'GET',
      url: '/api/admin/x',
      headers: { 'x-request-id': id, 'x-forwarded-for': '203.0.113.7' },
    });
    const [row] = await rowsFor(t, id);
    expect(row.ip_address).toBe('127.0.0.1');
  });
});

describe('audit capture options', () => {
  it('takes the client address from X-Forwarded-For when TRUST_PROXY trusts the hop', async () => {
    const t = await createAuditTestApp({ env: { TRUST_PROXY: 'true' } });
    try {
      const id = rid();
      await t.inject({
        method: 'GET',
        url: '/api/admin/x',
        headers: { 'x-request-id': id, 'x-forwarded-for': '203.0.113.7' },
      });
      const [row] = await rowsFor(t, id);
      expect(row.ip_address).toBe('203.0.113.7');
    } finally {
      await t.close();
    }
  });

  it('writes the record before the response in sync mode', async () => {
    const t = await createAuditTestApp({ env: { AUDIT_WRITE_MODE: 'sync', AUDIT_FLUSH_MS: '60000' } });
    try {
      const id = rid();
      await t.inject({ method: 'POST', url: '/api/admin/api-keys', headers: { 'x-request-id': id } });
      // Read without flushing the writer: the row must already be committed.
      const rows = (await t.app
        .get(DataSource)
        .query('SELECT action FROM audit_log WHERE correlation_id = $1', [id])) as unknown[];
      expect(rows).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('records nothing when AUDIT_ENABLED=false', async () => {
    const t = await createAuditTestApp({ env: { AUDIT_ENABLED: 'false' } });
    try {
      await t.inject({ method: 'POST', url: '/api/admin/api-keys' });
      const rows = (await t.app.get(DataSource).query('SELECT 1 FROM audit_log')) as unknown[];
      expect(rows).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  it('reports the writer degraded in /health while the backlog is past its threshold', async () => {
    const t = await createAuditTestApp({
      env: { AUDIT_DEGRADED_BACKLOG: '3', AUDIT_FLUSH_MS: '60000', AUDIT_BATCH_SIZE: '1000' },
    });
    try {
      const health = async () =>
        ((await t.inject({ method: 'GET', url: '/health' })).json() as { details: Record<string, { status: string }> })
          .details.audit_writer;
      await t.app.get(AuditWriter).flush();
      expect(await health()).toMatchObject({ status: 'up' });
      for (let i = 0; i < 5; i++) await t.inject({ method: 'POST', url: '/api/admin/api-keys' });
      expect(await health()).toMatchObject({ status: 'degraded', backlog: 5 });
      await t.app.get(AuditWriter).flush();
      expect(await health()).toMatchObject({ status: 'up', backlog: 0 });
    } finally {
      await t.close();
    }
  });

  it('records service start and stop', async () => {
    const t = await createAuditTestApp();
    const rows = await auditRows(t, `action = 'SERVICE_STARTED'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: 'service', actor_id: 'bulwark', outcome: 'success' });
    await t.close();
  });
});

describe('log redaction', () => {
  it('masks secrets in log objects and messages and strips CR/LF from messages', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createRootLogger(AppConfig.withOverrides({ NODE_ENV: 'test', LOG_LEVEL: 'info' }), sink);
    logger.info(
      { user: { password: 'hunter22', email: 'john@example.com' }, dsn: 'postgres://a:b3cret@h/db' },
      'login ok for 4111111111111111\n{"level":"fatal"}',
    );
    logger.flush();
    const text = lines.join('');
    expect(text).not.toMatch(/hunter22|b3cret|4111111111111111|john@/);
    expect(text.trim().split('\n')).toHaveLength(1);
    const line = JSON.parse(text) as { user: unknown; msg: string };
    expect(line.user).toEqual({ password: '[REDACTED]', email: 'joh***@example.com' });
    expect(line.msg).toBe('login ok for ****-****-****-1111 {"level":"fatal"}');
  });
});
