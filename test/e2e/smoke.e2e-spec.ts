import { createTestApp } from '../utils/create-test-app';

describe('createTestApp', () => {
  it('boots the real AppModule with a migrated database', async () => {
    const t = await createTestApp();
    try {
      const res = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
