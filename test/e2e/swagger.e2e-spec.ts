import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp, type TestApp } from '../utils/create-test-app';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  security?: Array<Record<string, string[]>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, SchemaObject> };
}

interface SchemaObject {
  required?: string[];
  properties: Record<string, { example?: unknown; enum?: unknown[] }>;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every route Fastify serves, as "METHOD /openapi/{path}", minus the documentation routes themselves. */
function servedRoutes(app: NestFastifyApplication): Set<string> {
  const tree = app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false, method: undefined });
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([\s│]*)(?:[├└]── )?(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    if (!match[3]) continue;
    const path = stack.join('').replace(/\/$/, '') || '/';
    for (const method of match[3].split(', ')) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      routes.add(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return new Set([...routes].filter((r) => !/ \/docs/.test(r) && !r.endsWith(' *')));
}

function documentedRoutes(doc: OpenApi): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of Object.keys(item))
      if (HTTP_METHODS.includes(method)) routes.add(`${method.toUpperCase()} ${path}`);
  return routes;
}

describe('OpenAPI documentation', () => {
  let t: TestApp;
  let doc: OpenApi;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.inject({ method: 'GET', url: '/docs-json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<OpenApi>();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('serves Swagger UI at /docs without a key', async () => {
    const res = await t.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('swagger-ui');
  });

  it('declares the API-key and bearer security schemes and requires the API key by default', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes['api-key']).toEqual({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toContainEqual({ 'api-key': [] });
  });

  it('documents every route the server serves, and only those', () => {
    const served = servedRoutes(t.app);
    expect(served).toContain('GET /health/live');
    expect(served).toContain('DELETE /api/admin/api-keys/{id}');
    expect([...documentedRoutes(doc)].sort()).toEqual([...served].sort());
  });

  it('documents the foundation routes', () => {
    for (const route of [
      'GET /health/live',
      'GET /health/ready',
      'GET /health',
      'GET /metrics',
      'GET /api/admin/api-keys',
      'POST /api/admin/api-keys',
      'DELETE /api/admin/api-keys/{id}',
    ])
      expect(documentedRoutes(doc)).toContain(route);
  });

  it('documents admin operations with the API-key scheme and their 401/403/404 answers', () => {
    for (const [method, operation] of Object.entries(doc.paths['/api/admin/api-keys'])) {
      expect(operation.security).toEqual(expect.arrayContaining([{ 'api-key': [] }]));
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '404']));
      expect(['get', 'post']).toContain(method);
    }
  });

  it('documents DTOs with examples', () => {
    const create = doc.components.schemas.CreateApiKeyDto;
    expect(create.required).toEqual(expect.arrayContaining(['name', 'role', 'tenantId']));
    expect(create.properties.name.example).toBe('billing-service');
    expect(create.properties.role.enum).toEqual(['client', 'auditor', 'admin']);
    expect(doc.components.schemas.CreatedApiKeyResponse.properties.key.example).toEqual(expect.any(String));
  });
});

describe('OpenAPI documentation with ADMIN_ROUTES_ENABLED=false', () => {
  it('leaves every admin path out', async () => {
    const t = await createTestApp({ env: { ADMIN_ROUTES_ENABLED: 'false' } });
    try {
      expect((await t.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(200);
      const doc = (await t.inject({ method: 'GET', url: '/docs-json' })).json<OpenApi>();
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/admin'))).toEqual([]);
      expect(Object.keys(doc.paths)).toContain('/health/ready');
    } finally {
      await t.close();
    }
  });
});
