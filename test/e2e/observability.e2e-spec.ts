import { HttpHooks } from '../../src/observability/http.hooks';
import { UNMATCHED_ROUTE } from '../../src/observability/http.metrics';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../utils/create-test-app';
import { expectProblem, metricValue } from '../utils/http-expect';

const ADMIN_KEYS = '/api/admin/api-keys';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNT = 'http_request_duration_seconds_count';

describe(HttpHooks.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });

  afterAll(async () => {
    await t?.close();
  });

  const scrape = async (): Promise<string> => {
    const res = await t.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  const requestLines = (correlationId: string) =>
    t.logs.filter((l) => l.correlationId === correlationId && l.msg === 'request completed');

  describe('correlation id', () => {
    it('echoes a sane X-Request-Id on success and on errors', async () => {
      const ok = await t.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'sane-id.1:2_3' } });
      expect(ok.headers['x-request-id']).toBe('sane-id.1:2_3');
      const unauthorized = await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-request-id': 'sane-401' } });
      expect(unauthorized.headers['x-request-id']).toBe('sane-401');
      expect(expectProblem(unauthorized, 401).correlationId).toBe('sane-401');
      const notFound = await t.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'sane-404' } });
      expect(expectProblem(notFound, 404).correlationId).toBe('sane-404');
    });

    it.each([
      ['too long', 'x'.repeat(129)],
      ['spaces', 'has spaces'],
      ['a forged JSON fragment', '","level":"fatal'],
      ['duplicated', ['dup-1', 'dup-2']],
      ['duplicated with equal values', ['same', 'same']],
    ])('replaces an X-Request-Id that is %s with a generated UUID', async (_label, header) => {
      const res = await t.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': header } });
      expect(res.headers['x-request-id']).toMatch(UUID);
    });

    it('generates a different id for each request that sends none', async () => {
      const a = await t.inject({ method: 'GET', url: '/health/live' });
      const b = await t.inject({ method: 'GET', url: '/health/live' });
      expect(a.headers['x-request-id']).toMatch(UUID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('request log', () => {
    it('writes one line per request with method, route template, status, duration and correlation id', async () => {
      await t.asAdmin({
        method: 'DELETE',
        url: `${ADMIN_KEYS}/4b0a3b7e-9d55-4d35-9a8e-2f1c0e6d7a11?x=1`,
        headers: { 'x-request-id': 'log-line-1' },
      });
      const lines = requestLines('log-line-1');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'info',
        method: 'DELETE',
        route: `${ADMIN_KEYS}/:id`,
        path: `${ADMIN_KEYS}/4b0a3b7e-9d55-4d35-9a8e-2f1c0e6d7a11`,
        statusCode: 404,
        correlationId: 'log-line-1',
      });
      expect(lines[0].durationMs).toEqual(expect.any(Number));
      expect(lines[0].durationMs as number).toBeGreaterThanOrEqual(0);
    });

    it('logs requests rejected before any handler: 401, unknown routes, body errors', async () => {
      await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-request-id': 'log-401' } });
      await t.inject({ method: 'GET', url: '/scanner/probe.php', headers: { 'x-request-id': 'log-404' } });
      await t.asAdmin({
        method: 'POST',
        url: ADMIN_KEYS,
        payload: '{oops',
        headers: { 'content-type': 'application/json', 'x-request-id': 'log-400' },
      });
      expect(requestLines('log-401')).toEqual([expect.objectContaining({ statusCode: 401, route: ADMIN_KEYS })]);
      expect(requestLines('log-404')).toEqual([
        expect.objectContaining({ statusCode: 404, route: null, path: '/scanner/probe.php' }),
      ]);
      expect(requestLines('log-400')).toEqual([expect.objectContaining({ statusCode: 400, method: 'POST' })]);
    });

    it('never writes Authorization, X-API-Key or Cookie values', async () => {
      const secrets = {
        authorization: 'Bearer bearer-secret-value-123',
        'x-api-key': 'apikey-secret-value-456',
        cookie: 'session=cookie-secret-value-789',
        'proxy-authorization': 'Basic proxy-secret-value-000',
      };
      for (const url of ['/health/live', ADMIN_KEYS, '/no/route'])
        await t.inject({ method: 'GET', url, headers: { ...secrets, 'x-request-id': 'secret-headers' } });
      await t.inject({
        method: 'POST',
        url: ADMIN_KEYS,
        headers: { 'x-api-key': TEST_ADMIN_KEY, cookie: secrets.cookie, 'x-request-id': 'secret-headers' },
        payload: { name: 'n', role: 'nope', tenantId: 't' },
      });
      expect(requestLines('secret-headers')).toHaveLength(4);
      const written = JSON.stringify(t.logs);
      for (const fragment of ['bearer-secret', 'apikey-secret', 'cookie-secret', 'proxy-secret', TEST_ADMIN_KEY])
        expect(written).not.toContain(fragment);
    });
  });

  describe('metrics', () => {
    it('serves Prometheus text with process metrics and the request histogram, without a key', async () => {
      const res = await t.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('# TYPE process_cpu_seconds_total counter');
      expect(res.body).toContain('# TYPE http_request_duration_seconds histogram');
      expect(res.body).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    });

    it('counts 401, 403, 404 and 400 under their route templates and status codes', async () => {
      const client = await t.asAdmin({
        method: 'POST',
        url: ADMIN_KEYS,
        payload: { name: 'metrics-client', role: 'client', tenantId: 'metrics-t' },
      });
      const clientKey = client.json<{ key: string }>().key;
      const before = await scrape();

      await t.inject({ method: 'GET', url: ADMIN_KEYS });
      await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': 'wrong' } });
      await t.inject({ method: 'GET', url: ADMIN_KEYS, headers: { 'x-api-key': clientKey } });
      await t.inject({ method: 'GET', url: '/does/not/exist-1' });
      await t.inject({ method: 'POST', url: '/does/not/exist-2' });
      await t.asAdmin({ method: 'DELETE', url: `${ADMIN_KEYS}/not-a-uuid` });
      await t.asAdmin({
        method: 'POST',
        url: ADMIN_KEYS,
        payload: '{',
        headers: { 'content-type': 'application/json' },
      });

      const after = await scrape();
      const delta = (labels: Record<string, string>) =>
        metricValue(after, COUNT, labels) - metricValue(before, COUNT, labels);
      expect(delta({ method: 'GET', route: ADMIN_KEYS, status_code: '401' })).toBe(2);
      expect(delta({ method: 'GET', route: ADMIN_KEYS, status_code: '403' })).toBe(1);
      expect(delta({ method: 'GET', route: UNMATCHED_ROUTE, status_code: '404' })).toBe(1);
      expect(delta({ method: 'POST', route: UNMATCHED_ROUTE, status_code: '404' })).toBe(1);
      expect(delta({ method: 'DELETE', route: `${ADMIN_KEYS}/:id`, status_code: '400' })).toBe(1);
      expect(delta({ method: 'POST', route: ADMIN_KEYS, status_code: '400' })).toBe(1);
    });

    it('never uses a raw path as a label, so scanners cannot grow the series count', async () => {
      for (let i = 0; i < 5; i++) await t.inject({ method: 'GET', url: `/wp-admin/probe-${i}.php?id=${i}` });
      await t.asAdmin({ method: 'GET', url: `${ADMIN_KEYS}?tenantId=label-check` });
      const text = await scrape();
      expect(text).not.toContain('probe-');
      expect(text).not.toContain('label-check');
      const routes = new Set(
        [...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]),
      );
      for (const route of routes) expect(route === UNMATCHED_ROUTE || route.startsWith('/')).toBe(true);
      expect(routes.has(UNMATCHED_ROUTE)).toBe(true);
    });
  });
});
