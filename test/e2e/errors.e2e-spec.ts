import { DataSource } from 'typeorm';
import { ProblemFilter } from '../../src/common/problem.filter';
import { MAX_JSON_DEPTH } from '../../src/common/json-body.parser';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { expectProblem, metricValue } from '../utils/http-expect';

const ENDPOINT = '/api/admin/api-keys';
const BODY_LIMIT = 4096;

function nested(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
}

describe(ProblemFilter.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT: String(BODY_LIMIT) }, captureLogs: true });
  });

  afterAll(async () => {
    await t?.close();
  });

  const post = (payload: string, contentType: string | undefined = 'application/json') =>
    t.asAdmin({
      method: 'POST',
      url: ENDPOINT,
      payload,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });

  it('answers 400 MALFORMED_JSON to a body that is not JSON', async () => {
    const problem = expectProblem(await post('{"name": "x",'), 400, 'MALFORMED_JSON');
    expect(problem).toMatchObject({
      type: 'urn:bulwark:problem:malformed-json',
      title: 'Malformed JSON body',
      instance: ENDPOINT,
    });
    expect(problem.detail).toMatch(/^Request body is not valid JSON/);
  });

  it('answers 400 MALFORMED_JSON to an empty JSON body', async () => {
    expect(expectProblem(await post(''), 400, 'MALFORMED_JSON').detail).toContain('empty');
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/jsonx'])(
    'answers 415 to content type %s',
    async (type) => {
      expectProblem(await post('name=x', type), 415, 'UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('accepts JSON with a charset and +json media types', async () => {
    const body = JSON.stringify({ name: 'charset', role: 'client', tenantId: 'errors-t' });
    expect((await post(body, 'application/json; charset=utf-8')).statusCode).toBe(201);
    expect((await post(body, 'application/vnd.bulwark+json')).statusCode).toBe(201);
  });

  it('answers 413 to a body over BODY_LIMIT', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(BODY_LIMIT), role: 'client', tenantId: 't' });
    expectProblem(await post(body), 413, 'PAYLOAD_TOO_LARGE');
  });

  it(`answers 400 to JSON nested deeper than ${MAX_JSON_DEPTH} levels, and validates the limit itself`, async () => {
    const tooDeep = expectProblem(await post(nested(MAX_JSON_DEPTH + 1)), 400, 'BAD_REQUEST');
    expect(tooDeep.detail).toContain(`deeper than ${MAX_JSON_DEPTH}`);
    // At the limit the body parses and reaches validation, which lists the unknown field.
    expectProblem(await post(nested(MAX_JSON_DEPTH)), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['__proto__', '{"__proto__": {"isAdmin": true}, "name": "p", "role": "client", "tenantId": "t"}'],
    ['an escaped __proto__', '{"\\u005f_proto__": {"isAdmin": true}, "name": "p", "role": "client", "tenantId": "t"}'],
    ['a nested __proto__', '{"name": "p", "role": "client", "tenantId": "t", "x": [{"__proto__": {}}]}'],
    ['constructor.prototype', '{"constructor": {"prototype": {"isAdmin": true}}, "name": "p"}'],
  ])('answers 400 to a body with %s', async (_label, body) => {
    const problem = expectProblem(await post(body), 400, 'BAD_REQUEST');
    expect(problem.detail).toMatch(/forbidden "(__proto__|constructor\.prototype)" key/);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('lets a harmless "constructor" string through to validation', async () => {
    const res = await post(JSON.stringify({ name: 'constructor', role: 'client', tenantId: 'errors-t' }));
    expect(res.statusCode).toBe(201);
  });

  it('answers 404 problem+json to an unknown route, whatever the body', async () => {
    for (const [method, payload] of [
      ['GET', undefined],
      ['POST', '{"broken'],
      ['DELETE', undefined],
    ] as const) {
      const res = await t.inject({
        method,
        url: '/no/such/route?q=1',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      const problem = expectProblem(res, 404, 'ROUTE_NOT_FOUND');
      expect(problem.instance).toBe('/no/such/route');
      expect(problem.title).toBe('Not Found');
    }
  });

  it('answers 400 listing each failing field', async () => {
    const res = await post(JSON.stringify({ name: 42, role: 'superuser', tenantId: '', extra: 1 }));
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.title).toBe('Request validation failed');
    const fields = new Set(problem.errors!.map((e) => e.field));
    expect(fields).toEqual(new Set(['name', 'role', 'tenantId', 'extra']));
    for (const e of problem.errors!) expect(e.message).toEqual(expect.any(String));
    expect(problem.detail).toBe(`${problem.errors!.length} field(s) failed validation.`);
  });

  it('keeps unicode intact in accepted values and in field errors', async () => {
    const name = 'Zürich – 東京 ☃ 🚀';
    const created = await post(JSON.stringify({ name, role: 'client', tenantId: 'unicode-t' }));
    expect(created.statusCode).toBe(201);
    expect(created.json<{ name: string }>().name).toBe(name);
    const problem = expectProblem(
      await post(JSON.stringify({ name: 'ok', role: 'client', tenantId: 'unicode-t', 'prénom😀': 1 })),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem.errors).toEqual([{ field: 'prénom😀', message: 'property prénom😀 should not exist' }]);
    const control = expectProblem(
      await post(JSON.stringify({ name: 'bell\u0007', role: 'client', tenantId: 'unicode-t' })),
      400,
    );
    expect(control.errors).toEqual([{ field: 'name', message: 'name must not contain control characters' }]);
  });

  it('answers a generic 500 that leaks no stack, SQL or driver message, and logs the cause', async () => {
    const db = t.app.get(DataSource);
    const metricsBefore = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    // A key never seen before is looked up in the database, which fails while the table is missing.
    await db.query('ALTER TABLE api_keys RENAME TO api_keys_hidden');
    let res;
    try {
      res = await t.inject({
        method: 'GET',
        url: ENDPOINT,
        headers: { 'x-api-key': 'never-seen-key-for-500', 'x-request-id': 'five-hundred-1' },
      });
    } finally {
      await db.query('ALTER TABLE api_keys_hidden RENAME TO api_keys');
    }
    const problem = expectProblem(res, 500, 'INTERNAL');
    expect(problem).toMatchObject({
      title: 'Internal server error',
      detail: 'An unexpected error occurred.',
      correlationId: 'five-hundred-1',
    });
    expect(Object.keys(problem).sort()).toEqual(
      ['code', 'correlationId', 'detail', 'instance', 'status', 'title', 'type'].sort(),
    );
    for (const leak of ['api_keys', 'relation "', 'SELECT', 'QueryFailedError', '.ts:', '    at ', 'key_hash'])
      expect(res.body).not.toContain(leak);
    const logged = t.logs.find((l) => l.correlationId === 'five-hundred-1' && l.msg === 'request failed');
    expect(JSON.stringify(logged)).toContain('api_keys');
    const metricsAfter = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    const labels = { method: 'GET', route: ENDPOINT, status_code: '500' };
    expect(
      metricValue(metricsAfter, 'http_request_duration_seconds_count', labels) -
        metricValue(metricsBefore, 'http_request_duration_seconds_count', labels),
    ).toBe(1);
  });
});
