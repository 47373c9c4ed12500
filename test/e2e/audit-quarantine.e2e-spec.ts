import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditRecordFactory } from '../../src/audit/audit.record.factory';
import { QUARANTINE_FILE } from '../../src/audit/audit.spool';
import type { AuditRecord } from '../../src/audit/audit.types';
import { AuditWriter } from '../../src/audit/audit.writer';
import { AppConfig } from '../../src/config/app.config';
import { auditRows, counterValue, type createAuditTestApp, createBatchingAuditTestApp, rid } from './audit-helpers';

type App = Awaited<ReturnType<typeof createAuditTestApp>>;

async function quarantineLines(t: App): Promise<Array<{ error: { code: string }; record: AuditRecord }>> {
  const dir = t.app.get(AppConfig).env.AUDIT_SPOOL_DIR;
  const text = await readFile(join(dir, QUARANTINE_FILE), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { error: { code: string }; record: AuditRecord });
}

describe('audit records PostgreSQL refuses for their content', () => {
  let t: App;
  beforeEach(async () => {
    t = await createBatchingAuditTestApp();
  });
  afterEach(() => t.close());

  it('quarantines the refused record and writes the records around it in order, then goes back to the fast path', async () => {
    const writer = t.app.get(AuditWriter);
    const factory = t.app.get(AuditRecordFactory);
    const entityType = rid('poison');
    const record = (i: number): AuditRecord =>
      factory.fromEvent({ action: 'DATA_WRITE', entityType, entityId: `r${i}` });
    const quarantinedBefore = await counterValue('audit_quarantined_total');
    const droppedBefore = await counterValue('audit_dropped_total');
    // The factory never builds such a record (it normalises addresses); anything that reaches the writer directly can.
    const poison: AuditRecord = { ...record(10), ip_address: 'not-an-ip' };
    for (let i = 0; i < 25; i++) writer.enqueue(i === 10 ? poison : record(i));
    await writer.flush();

    const rows = await auditRows(t, 'entity_type = $1', [entityType]);
    expect(rows.map((r) => r.entity_id)).toEqual(
      Array.from({ length: 25 }, (_, i) => `r${i}`).filter((id) => id !== 'r10'),
    );
    expect(rows.map((r) => BigInt(r.seq) - BigInt(rows[0].seq))).toEqual(
      Array.from({ length: 24 }, (_, i) => BigInt(i)),
    );
    const lines = await quarantineLines(t);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ error: { code: '22P02' }, record: { id: poison.id, ip_address: 'not-an-ip' } });
    expect((await counterValue('audit_quarantined_total')) - quarantinedBefore).toBe(1);
    expect((await counterValue('audit_dropped_total')) - droppedBefore).toBe(0);
    expect(writer.stats()).toMatchObject({ spooled: 0, quarantined: 1 });

    // The writer left spool mode: the next record is written straight away, and the chain verifies.
    writer.enqueue(record(99));
    await writer.flush();
    expect((await auditRows(t, 'entity_type = $1', [entityType])).at(-1)).toMatchObject({ entity_id: 'r99' });
    const verify = await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs/verify' });
    expect(verify.json()).toMatchObject({ ok: true });
    const health = await t.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ details: { audit_writer: { quarantined: 1 } } });
  });
});
