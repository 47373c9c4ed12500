import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { FastifyAdapter } from '@nestjs/platform-fastify';

describe('smoke', () => {
  it('boots', async () => {
    const m = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = m.createNestApplication(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const res = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    await app.close();
  });
});
