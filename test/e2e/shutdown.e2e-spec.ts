import { once } from 'node:events';
import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gracefulShutdown } from '../../src/health/graceful-shutdown';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../utils/create-test-app';

interface Reply {
  status: number;
  body: string;
}

function readReply(res: IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    res.on('error', reject);
  });
}

function get(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false },
      (res) => void readReply(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * A POST whose body arrives in two parts: the server has the request (headers) in flight until `finish`
 * sends the rest. Resolves `started` once the server has parsed the headers.
 */
function slowCreate(server: Server, port: number) {
  const body = JSON.stringify({ name: 'in-flight', role: 'client', tenantId: 'shutdown-t' });
  const half = Math.floor(body.length / 2);
  const started = once(server, 'request');
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/admin/api-keys',
    agent: false,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-api-key': TEST_ADMIN_KEY,
    },
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => void readReply(res).then(resolve, reject));
    req.on('error', reject);
  });
  req.write(body.slice(0, half));
  return { started, reply, finish: () => req.end(body.slice(half)), abort: () => req.destroy() };
}

async function listen(t: TestApp): Promise<{ server: Server; port: number }> {
  await t.app.listen(0, '127.0.0.1');
  const server = t.app.getHttpServer() as Server;
  return { server, port: (server.address() as AddressInfo).port };
}

describe(gracefulShutdown.name, () => {
  let t: Awaited<ReturnType<typeof createTestApp>> | undefined;

  afterEach(async () => {
    // gracefulShutdown closed the app already; only the per-file database (real PostgreSQL) remains.
    await t?.database?.drop();
    t = undefined;
  });

  it('reports 503 on readiness before closing, lets an in-flight request finish, then exits 0', async () => {
    t = await createTestApp({ env: { SHUTDOWN_DRAIN_MS: '300' } });
    const { server, port } = await listen(t);
    expect((await get(port, '/health/ready')).status).toBe(200);

    const inFlight = slowCreate(server, port);
    const [, serverResponse] = (await inFlight.started) as [IncomingMessage, ServerResponse];

    const events: string[] = [];
    let draining!: () => void;
    const drainingStarted = new Promise<void>((resolve) => (draining = resolve));
    const exited = new Promise<number>((resolve) => {
      void gracefulShutdown(t!.app, 'SIGTERM', {
        exit: (code) => {
          events.push(`exit ${code}`);
          resolve(code);
        },
        onDraining: () => {
          events.push('draining');
          draining();
        },
      });
    });
    server.once('close', () => events.push('server closed'));
    serverResponse.once('finish', () => events.push('in-flight answered'));

    await drainingStarted;
    // During the drain window the listener still accepts connections, and readiness says 503.
    const ready = await get(port, '/health/ready');
    events.push(`ready ${ready.status}`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ error: { lifecycle: { status: 'down' } } });
    expect((await get(port, '/health/live')).status).toBe(200);

    // The in-flight request completes only now, after close has begun waiting for it.
    await new Promise<void>((resolve) => {
      const poll = () => (server.listening ? setImmediate(poll) : resolve());
      poll();
    });
    events.push('listener closed');
    inFlight.finish();
    const created = await inFlight.reply;
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ name: 'in-flight', key: expect.any(String) });

    expect(await exited).toBe(0);
    expect(events).toEqual([
      'draining',
      'ready 503',
      'listener closed',
      'in-flight answered',
      'server closed',
      'exit 0',
    ]);
  });

  it('serves a request pipelined on a busy connection during close through the normal pipeline', async () => {
    t = await createTestApp();
    const { server, port } = await listen(t);
    const body = JSON.stringify({ name: 'pipelined', role: 'client', tenantId: 'shutdown-t' });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const started = once(server, 'request');
    socket.write(
      `POST /api/admin/api-keys HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
        `X-API-Key: ${TEST_ADMIN_KEY}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    await started;
    const shutdown = gracefulShutdown(t.app, 'SIGTERM', { exit: () => undefined });
    await new Promise<void>((resolve) => {
      const poll = () => (server.listening ? setImmediate(poll) : resolve());
      poll();
    });
    // The rest of the first body, and a second request on the same connection, arrive during close.
    socket.write(`${body.slice(5)}GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: pipelined-2\r\n\r\n`);
    await once(socket, 'close');
    await shutdown;
    const responses = text.split(/(?=HTTP\/1\.1 )/);
    expect(responses.map((r) => r.split('\r\n', 1)[0])).toEqual(['HTTP/1.1 201 Created', 'HTTP/1.1 200 OK']);
    expect(responses[1]).toMatch(/^x-request-id: pipelined-2$/im);
    expect(responses[1]).toMatch(/^connection: close$/im);
  });

  it('ignores a second signal while shutting down', async () => {
    t = await createTestApp();
    const codes: number[] = [];
    await Promise.all([
      gracefulShutdown(t.app, 'SIGTERM', { exit: (c) => codes.push(c) }),
      gracefulShutdown(t.app, 'SIGINT', { exit: (c) => codes.push(c) }),
    ]);
    expect(codes).toEqual([0]);
  });

  it('exits 1 after SHUTDOWN_TIMEOUT_MS when closing hangs', async () => {
    t = await createTestApp({ env: { SHUTDOWN_TIMEOUT_MS: '1000' } });
    const { server, port } = await listen(t);
    // This request never finishes its body, so the listener cannot close.
    const stuck = slowCreate(server, port);
    stuck.reply.catch(() => undefined);
    await stuck.started;
    const codes: number[] = [];
    const started = Date.now();
    const firstExit = new Promise<number>((resolve) => {
      void gracefulShutdown(t!.app, 'SIGTERM', {
        exit: (code) => {
          codes.push(code);
          resolve(code);
        },
      });
    });
    expect(await firstExit).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    stuck.abort();
    await once(server, 'close');
    expect(codes[0]).toBe(1);
  });

  it('exits 1 when closing fails', async () => {
    t = await createTestApp();
    const app = t.app;
    const close = app.close.bind(app);
    jest.spyOn(app, 'close').mockImplementationOnce(async () => {
      await close();
      throw new Error('a shutdown hook failed');
    });
    const codes: number[] = [];
    await gracefulShutdown(app, 'SIGTERM', { exit: (c) => codes.push(c) });
    expect(codes).toEqual([1]);
  });
});
