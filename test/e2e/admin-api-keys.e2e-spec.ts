import { DataSource } from 'typeorm';
import { ApiKeysController } from '../../src/admin/api-keys.controller';
import type { ApiKeyView } from '../../src/auth/api-keys.service';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../utils/create-test-app';
import { expectProblem } from '../utils/http-expect';

const ADMIN_KEYS = '/api/admin/api-keys';
const KEY_SHAPE = /^bwk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;

type KeyView = ApiKeyView;
type CreatedKey = KeyView & { key: string };
interface Page {
  items: KeyView[];
  nextCursor: string | null;
}

async function create(t: TestApp, body: Record<string, unknown>, key = TEST_ADMIN_KEY): Promise<CreatedKey> {
  const res = await t.inject({
    method: 'POST',
    url: ADMIN_KEYS,
    headers: { 'x-api-key': key },
    payload: { name: 'k', role: 'client', tenantId: 'acme', ...body },
  });
  expect(res.statusCode).toBe(201);
  return res.json<CreatedKey>();
}

describe(ApiKeysController.name, () => {
  let t: TestApp;
  let auditorKey: string;
  let clientKey: string;

  beforeAll(async () => {
    t = await createTestApp();
    auditorKey = (await create(t, { name: 'auditor', role: 'auditor', tenantId: 'ops' })).key;
    clientKey = (await create(t, { name: 'client', role: 'client', tenantId: 'ops' })).key;
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('create', () => {
    it('answers 201 with the secret, shown this once, and a usable key', async () => {
      const res = await t.asAdmin({
        method: 'POST',
        url: ADMIN_KEYS,
        payload: { name: 'billing-service', role: 'admin', tenantId: 'create-t' },
      });
      expect(res.statusCode).toBe(201);
      const created = res.json<CreatedKey>();
      expect(created).toMatchObject({
        name: 'billing-service',
        role: 'admin',
        tenantId: 'create-t',
        bootstrap: false,
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
      });
      expect(created.key).toMatch(KEY_SHAPE);
      expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
      expect(Date.parse(created.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      const withNewKey = await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': created.key } });
      expect(withNewKey.statusCode).toBe(200);
    });

    it('records the creating key as createdBy', async () => {
      const bootstrap = (await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?tenantId=system` })).json<Page>();
      const adminId = bootstrap.items.find((k) => k.bootstrap)!.id;
      expect((await create(t, { tenantId: 'created-by-t' })).createdBy).toBe(adminId);
    });

    it('keeps an expiry in the future', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      expect((await create(t, { expiresAt })).expiresAt).toBe(expiresAt);
    });

    it('answers 400 listing every invalid field', async () => {
      const res = await t.asAdmin({
        method: 'POST',
        url: ADMIN_KEYS,
        payload: { name: '', role: 'root', tenantId: '-bad tenant', expiresAt: 'yesterday', isAdmin: true },
      });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(new Set(problem.errors!.map((e) => e.field))).toEqual(
        new Set(['name', 'role', 'tenantId', 'expiresAt', 'isAdmin']),
      );
    });

    it('answers 400 for an expiry in the past', async () => {
      const res = await t.asAdmin({
        method: 'POST',
        url: ADMIN_KEYS,
        payload: { name: 'n', role: 'client', tenantId: 'x', expiresAt: '2001-01-01T00:00:00Z' },
      });
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([
        { field: 'expiresAt', message: 'expiresAt must be in the future' },
      ]);
    });
  });

  describe('list', () => {
    it('never shows a secret', async () => {
      const created = await create(t, { tenantId: 'list-secret-t' });
      const res = await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?tenantId=list-secret-t` });
      expect(res.statusCode).toBe(200);
      const page = res.json<Page>();
      expect(page.items.map((k) => k.id)).toEqual([created.id]);
      expect(page.items[0]).not.toHaveProperty('key');
      expect(res.body).not.toContain(created.key.slice(created.prefix.length + 1));
      const all = await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?limit=500&includeRevoked=true` });
      expect(all.body).not.toContain(TEST_ADMIN_KEY);
      expect(all.body).not.toContain(created.key);
    });

    it('pages newest first with an opaque cursor until nextCursor is null', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await create(t, { name: `page-${i}`, tenantId: 'page-t' })).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `${ADMIN_KEYS}?tenantId=page-t&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.asAdmin({ method: 'GET', url });
        expect(res.statusCode).toBe(200);
        const page = res.json<Page>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((k) => k.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
    });

    it('pages through keys created within the same millisecond without skipping any', async () => {
      const db = t.app.get(DataSource);
      // Microsecond timestamps in one millisecond, as PostgreSQL stores them for keys created together.
      for (const [i, micros] of ['123100', '123400', '123700', '123900'].entries())
        await db.query(
          `INSERT INTO api_keys (name, role, tenant_id, key_prefix, key_hash, created_at)
           VALUES ($1, 'client', 'same-ms-t', 'bwk_test', $2, $3::timestamptz)`,
          [`same-ms-${i}`, Buffer.from(`same-ms-hash-${i}`), `2030-01-01T00:00:00.${micros}Z`],
        );
      const names: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const url: string = `${ADMIN_KEYS}?tenantId=same-ms-t&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await t.asAdmin({ method: 'GET', url })).json<Page>();
        names.push(...page.items.map((k) => k.name));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(names).toEqual(['same-ms-3', 'same-ms-2', 'same-ms-1', 'same-ms-0']);
    });

    it('answers 400 for a cursor it did not issue', async () => {
      for (const cursor of ['not-a-cursor', Buffer.from('["x","y"]').toString('base64url')])
        expectProblem(
          await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?cursor=${cursor}` }),
          400,
          'AUTH_INVALID_CURSOR',
        );
    });

    it.each(['0', '501', 'ten', '1.5'])('answers 400 for limit=%s', async (limit) => {
      const problem = expectProblem(
        await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?limit=${limit}` }),
        400,
        'VALIDATION_FAILED',
      );
      expect(problem.errors!.map((e) => e.field)).toContain('limit');
    });

    it('answers 400 for unknown query parameters', async () => {
      const problem = expectProblem(await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?sort=name` }), 400);
      expect(problem.errors!.map((e) => e.field)).toEqual(['sort']);
    });

    it('hides revoked keys unless includeRevoked=true', async () => {
      const key = await create(t, { tenantId: 'revoked-list-t' });
      expect((await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/${key.id}` })).statusCode).toBe(200);
      const active = (await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?tenantId=revoked-list-t` })).json<Page>();
      expect(active.items).toEqual([]);
      const all = (
        await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?tenantId=revoked-list-t&includeRevoked=true` })
      ).json<Page>();
      expect(all.items).toEqual([expect.objectContaining({ id: key.id, revokedAt: expect.any(String) })]);
    });
  });

  describe('revoke', () => {
    it('answers 200 with the revoked key, after which the key answers 401', async () => {
      const key = await create(t, { role: 'admin', tenantId: 'revoke-t' });
      expect((await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': key.key } })).statusCode).toBe(
        200,
      );
      const res = await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/${key.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.json<KeyView>()).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
      expect(res.json<KeyView>()).not.toHaveProperty('key');
      expectProblem(
        await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': key.key } }),
        401,
        'AUTH_INVALID_CREDENTIALS',
      );
    });

    it('answers 409 when the key is already revoked', async () => {
      const key = await create(t, { tenantId: 'revoke-twice-t' });
      expect((await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/${key.id}` })).statusCode).toBe(200);
      expectProblem(
        await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/${key.id}` }),
        409,
        'AUTH_API_KEY_ALREADY_REVOKED',
      );
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expectProblem(
        await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/4b0a3b7e-9d55-4d35-9a8e-2f1c0e6d7a11` }),
        404,
        'AUTH_API_KEY_NOT_FOUND',
      );
      const bad = expectProblem(await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/not-a-uuid` }), 400);
      expect(bad.errors).toEqual([{ field: 'id', message: expect.stringContaining('UUID') }]);
    });
  });

  describe('401 vs 403 by role', () => {
    const someId = '4b0a3b7e-9d55-4d35-9a8e-2f1c0e6d7a11';
    const routes = [
      { method: 'GET' as const, url: ADMIN_KEYS },
      { method: 'POST' as const, url: ADMIN_KEYS, payload: { name: 'n', role: 'client', tenantId: 't' } },
      { method: 'DELETE' as const, url: `${ADMIN_KEYS}/${someId}` },
    ];

    it.each(routes)('answers 401 to $method $url without a key, and with an unknown key', async (route) => {
      expectProblem(await t.inject(route), 401, 'AUTH_MISSING_CREDENTIALS');
      expectProblem(await t.inject({ ...route, headers: { 'x-api-key': 'nope' } }), 401, 'AUTH_INVALID_CREDENTIALS');
    });

    it.each(routes)('answers 403 to a client key on $method $url', async (route) => {
      expectProblem(await t.inject({ ...route, headers: { 'x-api-key': clientKey } }), 403, 'AUTH_INSUFFICIENT_ROLE');
    });

    it('lets an auditor read (200) but not create (403) or revoke (403)', async () => {
      const headers = { 'x-api-key': auditorKey };
      expect((await t.inject({ ...routes[0], headers })).statusCode).toBe(200);
      expectProblem(await t.inject({ ...routes[1], headers }), 403, 'AUTH_INSUFFICIENT_ROLE');
      expectProblem(await t.inject({ ...routes[2], headers }), 403, 'AUTH_INSUFFICIENT_ROLE');
    });
  });
});

describe('admin routes with NODE_ENV=production', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { NODE_ENV: 'production', ALLOW_PGLITE_IN_PRODUCTION: 'true' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('serves the production-safe API-key routes: create 201, list 200, revoke 200', async () => {
    const created = await create(t, { role: 'auditor', tenantId: 'prod-t' });
    const list = await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?tenantId=prod-t` });
    expect(list.json<Page>().items.map((k) => k.id)).toEqual([created.id]);
    const auditorRead = await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': created.key } });
    expect(auditorRead.statusCode).toBe(200);
    expect((await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/${created.id}` })).statusCode).toBe(200);
  });

  it('keeps 401 and 403 apart', async () => {
    const client = await create(t, { role: 'client', tenantId: 'prod-t2' });
    expectProblem(await t.inject({ method: 'GET', url: ADMIN_KEYS }), 401);
    expectProblem(
      await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': client.key } }),
      403,
      'AUTH_INSUFFICIENT_ROLE',
    );
  });
});

describe('admin routes with ADMIN_ROUTES_ENABLED=false', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_ROUTES_ENABLED: 'false' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  const someId = '4b0a3b7e-9d55-4d35-9a8e-2f1c0e6d7a11';
  const requests = [
    { method: 'GET' as const, url: ADMIN_KEYS },
    { method: 'GET' as const, url: `${ADMIN_KEYS}?limit=1` },
    { method: 'POST' as const, url: ADMIN_KEYS, payload: { name: 'n', role: 'client', tenantId: 't' } },
    { method: 'POST' as const, url: ADMIN_KEYS, payload: 'plain text', headers: { 'content-type': 'text/plain' } },
    { method: 'POST' as const, url: ADMIN_KEYS, payload: '{"broken', headers: { 'content-type': 'application/json' } },
    { method: 'DELETE' as const, url: `${ADMIN_KEYS}/${someId}` },
    { method: 'DELETE' as const, url: `${ADMIN_KEYS}/not-a-uuid` },
  ];

  it.each(requests)('answers $method $url exactly like an unknown route, with or without a key', async (req) => {
    const unknown = expectProblem(await t.inject({ ...req, url: req.url.replace('/api/admin', '/api/nothing') }), 404);
    const same = (p: ReturnType<typeof expectProblem>) => ({
      type: p.type,
      title: p.title,
      code: p.code,
      detail: p.detail.replace('/api/admin', '/api/nothing'),
    });
    for (const headers of [{}, { 'x-api-key': TEST_ADMIN_KEY }, { 'x-api-key': 'wrong' }]) {
      const res = await t.inject({ ...req, headers: { ...(req.headers ?? {}), ...headers } });
      expect(same(expectProblem(res, 404, 'ROUTE_NOT_FOUND'))).toEqual(same(unknown));
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
  });
});
