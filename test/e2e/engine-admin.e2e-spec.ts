import type { LightMyRequestResponse } from 'fastify';
import { EngineController } from '../../src/admin/engine.controller';
import { AUDIT_SINK, type AuditSink } from '../../src/common/audit-sink';
import { AppConfig } from '../../src/config/app.config';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const STATUS = '/api/admin/engine/status';
const GUARD = '/api/admin/engine/guard';

function problem(res: LightMyRequestResponse, status: number): { code: string; errors?: Array<{ field: string }> } {
  expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  return res.json();
}

async function createKey(t: TestApp, role: 'client' | 'auditor'): Promise<string> {
  const res = await t.asAdmin({
    method: 'POST',
    url: '/api/admin/api-keys',
    payload: { name: `engine-${role}`, role, tenantId: 'engine-admin' },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ key: string }>().key;
}

describe(EngineController.name, () => {
  describe('in test', () => {
    let t: TestApp;
    let auditorKey: string;
    let clientKey: string;

    beforeAll(async () => {
      t = await createTestApp({ env: { ENGINE_FAULT_SEED: '4242', ENGINE_FAULT_TARGET_KEYS: 'irr,percentiles.p50' } });
      [auditorKey, clientKey] = [await createKey(t, 'auditor'), await createKey(t, 'client')];
    });

    afterAll(async () => {
      await t?.close();
    });

    afterEach(async () => {
      jest.restoreAllMocks();
      await t.asAdmin({ method: 'POST', url: GUARD, payload: { enabled: false, faultRate: 0, seed: 4242 } });
    });

    it('reports settings from the environment and counts to admin and auditor keys', async () => {
      for (const headers of [{ 'x-api-key': t.adminKey }, { 'x-api-key': auditorKey }]) {
        const res = await t.inject({ method: 'GET', url: STATUS, headers });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          environment: 'test',
          guard: { enabled: true, mode: 'null', maxDepth: 64, maxNodes: 100000 },
          faults: { enabled: false, active: false, rate: 0, seed: 4242, targetKeys: ['irr', 'percentiles.p50'] },
          counts: {
            calls: expect.any(Number),
            faultsInjected: expect.any(Number),
            faultsByKind: { nan: 0, inf: 0, neg_inf: 0, extreme_pos: 0, extreme_neg: 0 },
            valuesSanitized: expect.any(Number),
            responsesSanitized: expect.any(Number),
            limitExceeded: expect.any(Number),
          },
        });
      }
    });

    it('applies an update at once and audit-logs it with before and after', async () => {
      const sink = t.app.get<AuditSink>(AUDIT_SINK);
      const record = jest.spyOn(sink, 'record');
      const res = await t.asAdmin({
        method: 'POST',
        url: GUARD,
        payload: { enabled: true, faultRate: 0.25, seed: 7, targetKeys: ['percentiles.p95'] },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        faults: { enabled: true, active: true, rate: 0.25, seed: 7, targetKeys: ['percentiles.p95'] },
      });
      const status = await t.asAdmin({ method: 'GET', url: STATUS });
      expect(status.json()).toMatchObject({ faults: { active: true, rate: 0.25, seed: 7 } });
      expect(record).toHaveBeenCalledWith(
        expect.objectContaining({
          action: 'CONFIG_UPDATED',
          changes: {
            before: expect.objectContaining({ faultEnabled: false, faultRate: 0, faultSeed: 4242 }),
            after: expect.objectContaining({ faultEnabled: true, faultRate: 0.25, faultSeed: 7 }),
          },
        }),
      );
    });

    it('rejects invalid bodies with 400 naming each field', async () => {
      const cases: Array<[Record<string, unknown>, string[]]> = [
        [{ faultRate: 1.5 }, ['faultRate']],
        [{ faultRate: -0.1, seed: 1.5 }, ['faultRate', 'seed']],
        [{ enabled: 'yes' }, ['enabled']],
        [{ targetKeys: ['ok', 'not a path'] }, ['targetKeys']],
        [{ guardMode: 'loud' }, ['guardMode']],
        [{ surprise: 1 }, ['surprise']],
      ];
      for (const [payload, fields] of cases) {
        const body = problem(await t.asAdmin({ method: 'POST', url: GUARD, payload }), 400);
        expect(body.code).toBe('VALIDATION_FAILED');
        expect(new Set(body.errors?.map((e) => e.field))).toEqual(new Set(fields));
      }
    });

    it('documents the engine and calculation routes in Swagger', async () => {
      const doc = (await t.inject({ method: 'GET', url: '/docs-json' })).json<{ paths: Record<string, object> }>();
      expect(doc.paths).toHaveProperty([STATUS, 'get']);
      expect(doc.paths).toHaveProperty([GUARD, 'post']);
      expect(doc.paths).toHaveProperty(['/api/calculate', 'post']);
    });

    it('answers 401 without a key and 403 to keys without the admin role', async () => {
      expect(problem(await t.inject({ method: 'GET', url: STATUS }), 401).code).toBe('AUTH_MISSING_CREDENTIALS');
      expect(problem(await t.inject({ method: 'POST', url: GUARD, payload: {} }), 401).code).toBe(
        'AUTH_MISSING_CREDENTIALS',
      );
      const asClient = await t.inject({ method: 'GET', url: STATUS, headers: { 'x-api-key': clientKey } });
      expect(problem(asClient, 403).code).toBe('AUTH_INSUFFICIENT_ROLE');
      const asAuditor = await t.inject({
        method: 'POST',
        url: GUARD,
        payload: { faultRate: 1 },
        headers: { 'x-api-key': auditorKey },
      });
      expect(problem(asAuditor, 403).code).toBe('AUTH_INSUFFICIENT_ROLE');
    });
  });

  describe('in development', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ env: { NODE_ENV: 'development' } });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('needs the enable flag before a fault rate takes effect', async () => {
      const rateOnly = await t.asAdmin({ method: 'POST', url: GUARD, payload: { faultRate: 1 } });
      expect(rateOnly.json()).toMatchObject({ environment: 'development', faults: { enabled: false, active: false } });
      const enabled = await t.asAdmin({ method: 'POST', url: GUARD, payload: { enabled: true } });
      expect(enabled.json()).toMatchObject({ faults: { enabled: true, active: true, rate: 1 } });
    });
  });

  describe('in production', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ env: { NODE_ENV: 'production', ALLOW_PGLITE_IN_PRODUCTION: 'true' } });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('still reports the status', async () => {
      const res = await t.asAdmin({ method: 'GET', url: STATUS });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ environment: 'production', faults: { enabled: false, active: false } });
    });

    it('refuses every update with 403 problem+json and changes nothing', async () => {
      for (const payload of [{ faultRate: 1, enabled: true }, { guardEnabled: false }, {}]) {
        expect(problem(await t.asAdmin({ method: 'POST', url: GUARD, payload }), 403).code).toBe(
          'AUTH_PRODUCTION_READ_ONLY',
        );
      }
      const res = await t.asAdmin({ method: 'GET', url: STATUS });
      expect(res.json()).toMatchObject({ guard: { enabled: true }, faults: { enabled: false, rate: 0 } });
    });

    it('refuses to start with fault injection enabled', () => {
      const env = { NODE_ENV: 'production', ALLOW_PGLITE_IN_PRODUCTION: 'true', ADMIN_API_KEY: t.adminKey };
      expect(() => AppConfig.withOverrides({ ...env, ENGINE_FAULT_ENABLE: 'true' })).toThrow(/ENGINE_FAULT_ENABLE/);
      expect(() => AppConfig.withOverrides({ ...env, ENGINE_FAULT_RATE: '0.5' })).toThrow(/ENGINE_FAULT_RATE/);
    });
  });
});
