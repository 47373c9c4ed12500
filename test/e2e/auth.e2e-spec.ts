import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { hashApiKey } from '../../src/auth/api-key.format';
import { AuthGuard } from '../../src/auth/auth.guard';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../utils/create-test-app';
import { expectProblem } from '../utils/http-expect';
import { createTestDatabase } from '../utils/test-database';

const ADMIN_KEYS = '/api/admin/api-keys';

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  createdBy: string | null;
}

async function createKey(t: TestApp, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await t.asAdmin({
    method: 'POST',
    url: ADMIN_KEYS,
    payload: { name: 'auth-test', role: 'admin', tenantId: 'auth-tenant', ...body },
  });
  expect(res.statusCode).toBe(201);
  return res.json<CreatedKey>();
}

describe(AuthGuard.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });

  afterAll(async () => {
    await t?.close();
  });

  const list = (headers: Record<string, string | string[]>) =>
    t.inject({ method: 'GET', url: `${ADMIN_KEYS}?limit=1`, headers });

  it('answers 401 problem+json with a challenge when no key is sent', async () => {
    const res = await t.inject({ method: 'GET', url: ADMIN_KEYS });
    const problem = expectProblem(res, 401, 'AUTH_MISSING_CREDENTIALS');
    expect(problem.instance).toBe(ADMIN_KEYS);
    expect(res.headers['www-authenticate']).toBe('Bearer, ApiKey');
  });

  it('answers 401 problem+json when the key is unknown', async () => {
    expectProblem(await list({ 'x-api-key': 'bwk_unknown0_' + 'x'.repeat(43) }), 401, 'AUTH_INVALID_CREDENTIALS');
    expectProblem(await list({ authorization: 'Bearer not-a-key' }), 401, 'AUTH_INVALID_CREDENTIALS');
    expectProblem(await list({ 'x-api-key': '' }), 401);
  });

  it('answers 401 when the credential is longer than any key, without looking it up', async () => {
    expectProblem(await list({ 'x-api-key': TEST_ADMIN_KEY + 'x'.repeat(600) }), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('accepts the key as X-API-Key and as Authorization: Bearer', async () => {
    expect((await list({ 'x-api-key': TEST_ADMIN_KEY })).statusCode).toBe(200);
    expect((await list({ authorization: `Bearer ${TEST_ADMIN_KEY}` })).statusCode).toBe(200);
    expect((await list({ authorization: `bearer ${TEST_ADMIN_KEY}` })).statusCode).toBe(200);
    expect((await list({ 'x-api-key': TEST_ADMIN_KEY, authorization: `Bearer ${TEST_ADMIN_KEY}` })).statusCode).toBe(
      200,
    );
  });

  it('answers 401 for an Authorization header in another scheme', async () => {
    const basic = `Basic ${Buffer.from(`admin:${TEST_ADMIN_KEY}`).toString('base64')}`;
    expectProblem(await list({ authorization: basic }), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('answers 400 when two different keys are sent', async () => {
    const other = await createKey(t);
    const res = await list({ 'x-api-key': TEST_ADMIN_KEY, authorization: `Bearer ${other.key}` });
    expectProblem(res, 400, 'AUTH_AMBIGUOUS_CREDENTIALS');
  });

  it('answers 400 when the key header is repeated', async () => {
    expectProblem(await list({ 'x-api-key': [TEST_ADMIN_KEY, TEST_ADMIN_KEY] }), 400, 'AUTH_AMBIGUOUS_CREDENTIALS');
    const bearer = `Bearer ${TEST_ADMIN_KEY}`;
    expectProblem(await list({ authorization: [bearer, 'Bearer other'] }), 400, 'AUTH_AMBIGUOUS_CREDENTIALS');
  });

  it('answers 400 to repeated Authorization headers over a real socket, where Node keeps only the first', async () => {
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `GET ${ADMIN_KEYS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TEST_ADMIN_KEY}\r\n` +
            'Authorization: Bearer someone-elses-key\r\nConnection: close\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(response.split('\r\n', 1)[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(response).toContain('AUTH_AMBIGUOUS_CREDENTIALS');
  });

  it('answers 401 problem+json when the key is revoked, even right after it was used', async () => {
    const created = await createKey(t);
    expect((await list({ 'x-api-key': created.key })).statusCode).toBe(200);
    expect((await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/${created.id}` })).statusCode).toBe(200);
    expectProblem(await list({ 'x-api-key': created.key }), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('answers 401 problem+json when the key is expired', async () => {
    const created = await createKey(t, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await t.app
      .get(DataSource)
      .query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [created.id]);
    expectProblem(await list({ authorization: `Bearer ${created.key}` }), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('accepts a key until its expiry', async () => {
    const created = await createKey(t, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await list({ 'x-api-key': created.key })).statusCode).toBe(200);
  });

  it('puts the principal on the request for handlers and the request log', async () => {
    const admin = await createKey(t, { name: 'creator' });
    const child = await t.inject({
      method: 'POST',
      url: ADMIN_KEYS,
      headers: { 'x-api-key': admin.key, 'x-request-id': 'principal-probe-1' },
      payload: { name: 'child', role: 'client', tenantId: 'auth-tenant' },
    });
    expect(child.statusCode).toBe(201);
    expect(child.json<CreatedKey>().createdBy).toBe(admin.id);

    const client = child.json<CreatedKey>();
    const refused = await t.inject({
      method: 'GET',
      url: ADMIN_KEYS,
      headers: { 'x-api-key': client.key, 'x-request-id': 'principal-probe-2' },
    });
    expectProblem(refused, 403, 'AUTH_INSUFFICIENT_ROLE');
    const line = t.logs.find((l) => l.correlationId === 'principal-probe-2' && l.msg === 'request completed');
    expect(line).toMatchObject({ keyId: client.id, statusCode: 403 });
  });

  it('stores only a hash of each secret: no column of api_keys holds the secret or its random part', async () => {
    const created = await createKey(t, { name: 'stored-secret' });
    const randomPart = created.key.slice(created.prefix.length + 1);
    const rows: Array<Record<string, unknown>> = await t.app.get(DataSource).query('SELECT * FROM api_keys');
    const row = rows.find((r) => r.id === created.id);
    expect(row).toBeDefined();
    expect(Buffer.from(row!.key_hash as Buffer)).toEqual(hashApiKey(created.key));
    for (const r of rows) {
      for (const value of Object.values(r)) {
        const texts =
          value instanceof Uint8Array ? [Buffer.from(value).toString('utf8'), Buffer.from(value).toString('hex')] : [];
        texts.push(String(value), JSON.stringify(value) ?? '');
        for (const text of texts) {
          expect(text).not.toContain(randomPart);
          expect(text).not.toContain(TEST_ADMIN_KEY);
        }
      }
    }
  });

  it('records when a key was last used', async () => {
    const created = await createKey(t, { name: 'last-used' });
    expect((await list({ 'x-api-key': created.key })).statusCode).toBe(200);
    const db = t.app.get(DataSource);
    // The update is deliberately detached from the request; wait for it, bounded.
    let lastUsed: unknown = null;
    for (let i = 0; i < 200 && !lastUsed; i++) {
      const rows: Array<{ last_used_at: unknown }> = await db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [
        created.id,
      ]);
      lastUsed = rows[0].last_used_at;
      if (!lastUsed) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(lastUsed).toBeInstanceOf(Date);
  });

  it('never writes the bootstrap key in test mode', () => {
    expect(JSON.stringify(t.logs)).not.toContain(TEST_ADMIN_KEY);
  });
});

describe('bootstrap admin key', () => {
  it('outside production, stores a generated admin key when none is configured', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'development', ADMIN_API_KEY: '' } });
    try {
      const rows: Array<{ role: string; tenant_id: string; key_prefix: string }> = await t.app
        .get(DataSource)
        .query('SELECT role, tenant_id, key_prefix FROM api_keys WHERE revoked_at IS NULL AND is_bootstrap');
      expect(rows).toEqual([{ role: 'admin', tenant_id: 'system', key_prefix: expect.stringMatching(/^bwk_/) }]);
      expectProblem(await t.asAdmin({ method: 'GET', url: ADMIN_KEYS }), 401);
    } finally {
      await t.close();
    }
  });

  it('outside production, logs the generated admin key exactly once, in a form that works as a key', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'development', ADMIN_API_KEY: '' }, captureLogs: true });
    try {
      const announcements = t.logs.filter((l) => String(l.msg).includes('generated an admin API key'));
      expect(announcements).toHaveLength(1);
      const secret = /(bwk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43})/.exec(String(announcements[0].msg))?.[1];
      expect(secret).toBeDefined();
      const res = await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': secret! } });
      expect(res.statusCode).toBe(200);
      expect(t.logs.filter((l) => JSON.stringify(l).includes(secret!))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('in production with admin routes disabled and no key, creates no admin key', async () => {
    const t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        ADMIN_API_KEY: '',
        ADMIN_ROUTES_ENABLED: 'false',
        ALLOW_PGLITE_IN_PRODUCTION: 'true',
      },
    });
    try {
      const rows: unknown[] = await t.app.get(DataSource).query('SELECT id FROM api_keys WHERE is_bootstrap');
      expect(rows).toEqual([]);
    } finally {
      await t.close();
    }
  });

  /** Boots apps one after another on one database: a cloned PostgreSQL database, or an on-disk PGlite. */
  async function onOneDatabase(fn: (boot: (env: Record<string, string>) => Promise<TestApp>) => Promise<void>) {
    const database = await createTestDatabase();
    const pgliteDir = database ? undefined : mkdtempSync(join(tmpdir(), 'bulwark-auth-'));
    const apps: TestApp[] = [];
    try {
      await fn(async (env) => {
        const app = await createTestApp({
          env: { ...env, ...(pgliteDir ? { DATABASE_URL: '', PGLITE_DIR: pgliteDir } : {}) },
          database,
        });
        apps.push(app);
        return app;
      });
    } finally {
      for (const app of apps) await app.close();
      await database?.drop();
      if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
    }
  }

  const OLD_KEY = 'old-admin-key-0123456789abcdefghijklmnopq';
  const NEW_KEY = 'new-admin-key-0123456789abcdefghijklmnopq';
  const listWith = (t: TestApp, key: string) =>
    t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': key } });

  it('revokes the previous bootstrap key when ADMIN_API_KEY is rotated', async () => {
    await onOneDatabase(async (boot) => {
      const first = await boot({ ADMIN_API_KEY: OLD_KEY });
      expect((await listWith(first, OLD_KEY)).statusCode).toBe(200);
      await first.close();

      const second = await boot({ ADMIN_API_KEY: NEW_KEY });
      expectProblem(await listWith(second, OLD_KEY), 401);
      expect((await listWith(second, NEW_KEY)).statusCode).toBe(200);
      const bootstrap: Array<{ revoked: boolean }> = await second.app
        .get(DataSource)
        .query('SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE is_bootstrap ORDER BY created_at');
      expect(bootstrap).toEqual([{ revoked: true }, { revoked: false }]);
    });
  });

  it('keeps a bootstrap key revoked through the API revoked after a restart with the same ADMIN_API_KEY', async () => {
    await onOneDatabase(async (boot) => {
      const first = await boot({ ADMIN_API_KEY: OLD_KEY });
      const page = (await listWith(first, OLD_KEY)).json<{ items: Array<{ id: string; bootstrap: boolean }> }>();
      const bootstrapId = page.items.find((k) => k.bootstrap)!.id;
      const replacement = await first.inject({
        method: 'POST',
        url: ADMIN_KEYS,
        headers: { 'x-api-key': OLD_KEY },
        payload: { name: 'replacement', role: 'admin', tenantId: 'system' },
      });
      const replacementKey = replacement.json<CreatedKey>().key;
      const revoked = await first.inject({
        method: 'DELETE',
        url: `${ADMIN_KEYS}/${bootstrapId}`,
        headers: { 'x-api-key': replacementKey },
      });
      expect(revoked.statusCode).toBe(200);
      await first.close();

      const second = await boot({ ADMIN_API_KEY: OLD_KEY });
      expectProblem(await listWith(second, OLD_KEY), 401, 'AUTH_INVALID_CREDENTIALS');
      expect((await listWith(second, replacementKey)).statusCode).toBe(200);
    });
  });
});
