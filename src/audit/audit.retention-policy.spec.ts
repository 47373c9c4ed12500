import { retentionUntil } from './audit.retention-policy';

describe('retentionUntil', () => {
  it('gives the same instant from the cached date path as from date arithmetic', () => {
    const instants = [
      '2026-11-23T15:04:05.123Z',
      '2024-02-29T23:59:59.999Z',
      '1999-12-31T00:00:00.000Z',
      '2027-03-28T01:30:00.000Z',
    ];
    for (const iso of instants) {
      for (const action of ['DATA_WRITE', 'DATA_READ', 'HEALTH_CHECK_FAILED']) {
        for (const days of [1, 90, 2557]) {
          const at = new Date(iso);
          const fast = retentionUntil(action, at, days, iso);
          expect(fast).toBe(retentionUntil(action, at, days));
          expect(Date.parse(fast)).toBeGreaterThan(at.getTime());
        }
      }
    }
  });

  it('keeps the time of day and moves the date by whole days', () => {
    expect(retentionUntil('DATA_WRITE', new Date('2024-02-28T10:11:12.013Z'), 2, '2024-02-28T10:11:12.013Z')).toBe(
      '2024-03-01T10:11:12.013Z',
    );
  });
});
