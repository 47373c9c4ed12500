import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app.config';
import { AuditRecordFactory } from './audit.record.factory';

function finished(): { request: FastifyRequest; reply: FastifyReply } {
  const request = {
    method: 'POST',
    url: '/api/invoices?draft=1',
    id: 'corr-1',
    ip: '127.0.0.1',
    query: { draft: '1' },
    body: { amount: 10, password: 'hunter2', note: 'mail jane.doe@example.com' },
    headers: { 'user-agent': 'jest' },
    routeOptions: { url: '/api/invoices' },
  } as unknown as FastifyRequest;
  const reply = { statusCode: 201, elapsedTime: 12.3456 } as unknown as FastifyReply;
  return { request, reply };
}

describe(AuditRecordFactory.name, () => {
  const factory = new AuditRecordFactory(AppConfig.withOverrides({ NODE_ENV: 'test' }));

  it('keeps what a request was when captured, however late its record is built', () => {
    const { request, reply } = finished();
    const captured = factory.capture(request, reply, undefined, '/api/invoices');
    // After the response: the reply's clock runs on and a closed socket has no address any more.
    (reply as { elapsedTime: number }).elapsedTime = 999;
    (request as { ip: string | undefined }).ip = undefined;
    const record = factory.fromCaptured(captured);
    expect(record).toMatchObject({
      occurred_at: new Date(captured.at).toISOString(),
      duration_ms: 12.346,
      ip_address: '127.0.0.1',
      status_code: 201,
      request_path: '/api/invoices',
      action: 'DATA_WRITE',
    });
  });

  it('holds the redacted request in details, keys sorted', () => {
    const { request, reply } = finished();
    const record = factory.fromRequest(request, reply, undefined);
    expect(record.details).toEqual({
      body: { amount: 10, note: 'mail jan***@example.com', password: '[REDACTED]' },
      query: { draft: '1' },
    });
    expect(Object.keys((record.details as { body: object }).body)).toEqual(['amount', 'note', 'password']);
  });
});
