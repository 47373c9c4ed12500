import { canonicalParts } from '../../src/audit/audit.hash-chain';
import { AuditRecordFactory } from '../../src/audit/audit.record.factory';
import { AuditRepository } from '../../src/audit/audit.repository';
import { rowHash } from '../../src/audit/audit.hash-chain';
import { prepareRow } from '../../src/audit/audit.row-format';
import type { AuditRecord } from '../../src/audit/audit.types';
import { DataSource } from 'typeorm';
import { TEST_ADMIN_KEY } from '../utils/create-test-app';
import { auditRows, createAuditTestApp, rid, rowsFor } from './audit-helpers';

type App = Awaited<ReturnType<typeof createAuditTestApp>>;
interface Item {
  seq: string;
  action: string;
  outcome: string;
  tenantId: string | null;
  entityType: string | null;
  entityId: string | null;
  correlationId: string | null;
}

async function seed(t: App, n: number, overrides: Partial<AuditRecord> = {}): Promise<void> {
  const factory = t.app.get(AuditRecordFactory);
  const repo = t.app.get(AuditRepository);
  const rows = Array.from({ length: n }, () =>
    prepareRow({ ...factory.fromEvent({ action: 'DATA_WRITE' }), ...overrides }, repo.rowFormat),
  );
  await repo.insertChained(rows, false);
}

describe('audit query and export API', () => {
  let t: App;
  let auditorKey: string;
  let clientKey: string;

  beforeAll(async () => {
    t = await createAuditTestApp();
    const keys = [];
    for (const role of ['auditor', 'client'])
      keys.push(
        (
          (
            await t.asAdmin({
              method: 'POST',
              url: '/api/admin/api-keys',
              payload: { name: role, role, tenantId: 'acme' },
            })
          ).json() as { key: string }
        ).key,
      );
    [auditorKey, clientKey] = keys;
    await seed(t, 30, { tenant_id: 'globex', entity_type: 'invoice', entity_id: 'inv-1', outcome: 'partial' });
    await seed(t, 2500);
    await auditRows(t, 'FALSE');
  });
  afterAll(() => t.close());

  const list = async (query: string, key?: string) =>
    t.inject({ method: 'GET', url: `/api/admin/audit-logs${query}`, headers: { 'x-api-key': key ?? TEST_ADMIN_KEY } });

  it('lists newest first with a default limit of 100', async () => {
    const res = await list('');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Item[]; nextCursor: string | null };
    expect(body.items).toHaveLength(100);
    const seqs = body.items.map((i) => Number(i.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(body.nextCursor).toEqual(expect.any(String));
  });

  it.each([
    ['action', '?action=API_KEY_CREATED', (i: Item) => i.action === 'API_KEY_CREATED', 2],
    ['outcome', '?outcome=partial', (i: Item) => i.outcome === 'partial', 30],
    ['tenant', '?tenant=globex', (i: Item) => i.tenantId === 'globex', 30],
    ['entity', '?entityType=invoice&entityId=inv-1', (i: Item) => i.entityId === 'inv-1', 30],
  ])('filters by %s', async (_name, query, predicate, count) => {
    const body = (await list(`${query}&limit=1000`)).json() as { items: Item[] };
    expect(body.items).toHaveLength(count);
    expect(body.items.every(predicate)).toBe(true);
  });

  it('filters by correlation id and actor', async () => {
    const id = rid();
    await t.asAdmin({ method: 'GET', url: '/api/admin/api-keys', headers: { 'x-request-id': id } });
    await auditRows(t, 'FALSE');
    const body = (await list(`?correlationId=${id}`)).json() as { items: Array<Item & { actorId: string }> };
    expect(body.items).toHaveLength(1);
    const byActor = (await list(`?actor=${body.items[0].actorId}&limit=1000`)).json() as { items: Item[] };
    expect(byActor.items.map((i) => i.correlationId)).toContain(id);
  });

  it('filters by time range', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(((await list(`?from=${future}`)).json() as { items: Item[] }).items).toHaveLength(0);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(((await list(`?from=${past}&to=${future}&limit=5`)).json() as { items: Item[] }).items).toHaveLength(5);
  });

  it.each([
    ['an unknown outcome', '?outcome=maybe'],
    ['a limit above 1000', '?limit=1001'],
    ['a zero limit', '?limit=0'],
    ['a date that is not a date', '?from=yesterday'],
    ['an unknown filter', '?colour=red'],
    ['a forged cursor', '?cursor=abc'],
    ['an inverted range', `?from=${new Date().toISOString()}&to=2020-01-01T00:00:00Z`],
  ])('rejects %s with 400', async (_name, query) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('lets auditors read and refuses clients', async () => {
    expect((await list('?limit=1', auditorKey)).statusCode).toBe(200);
    expect((await list('?limit=1', clientKey)).statusCode).toBe(403);
  });

  it('paginates without gaps or repeats while rows are being inserted', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    const startMax = Number(((await list('?limit=1')).json() as { items: Item[] }).items[0].seq);
    do {
      const [res] = await Promise.all([list(`?limit=97${cursor ? `&cursor=${cursor}` : ''}`), seed(t, 7)]);
      const body = res.json() as { items: Item[]; nextCursor: string | null };
      seen.push(...body.items.map((i) => Number(i.seq)));
      cursor = body.nextCursor;
    } while (cursor);
    const below = seen.filter((s) => s <= startMax);
    // Every row that existed when paging began is seen exactly once, in strictly descending order.
    expect(below).toEqual(Array.from({ length: startMax }, (_, i) => startMax - i));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('records its own queries as DATA_READ', async () => {
    const id = rid();
    await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs?limit=1', headers: { 'x-request-id': id } });
    const rows = await rowsFor(t, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'DATA_READ', entity_type: 'audit_log', status_code: 200 });
  });

  it('exports NDJSON in chain order, across pages, with hashes that recompute', async () => {
    const id = rid();
    const res = await t.asAdmin({
      method: 'GET',
      url: '/api/admin/audit-logs/export?format=ndjson',
      headers: { 'x-request-id': id },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown> & { seq: string; hash: string; prev_hash: string });
    const [{ n }] = (await t.app
      .get(DataSource)
      .query('SELECT count(*)::int AS n FROM audit_log WHERE correlation_id IS DISTINCT FROM $1', [id])) as Array<{
      n: number;
    }>;
    expect(lines).toHaveLength(n);
    expect(lines.length).toBeGreaterThan(2500);
    for (let i = 1; i < lines.length; i++) expect(lines[i].prev_hash).toBe(lines[i - 1].hash);
    const { seq, prev_hash, hash, legal_hold: _l, ...content } = lines[lines.length - 1];
    expect(rowHash(canonicalParts(content as unknown as AuditRecord), seq, prev_hash)).toBe(hash);
    const audit = await rowsFor(t, id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'DATA_EXPORT', entity_type: 'audit_log' });
  });

  it('exports filtered CSV with a header row and escaped cells', async () => {
    const res = await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs/export?format=csv&tenant=globex' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.trim().split('\r\n');
    expect(lines[0].split(',').slice(0, 3)).toEqual(['seq', 'id', 'occurred_at']);
    expect(lines).toHaveLength(31);
  });

  it('rejects an unknown export format', async () => {
    expect((await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs/export?format=xml' })).statusCode).toBe(400);
  });
});
