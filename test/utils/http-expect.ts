import type { LightMyRequestResponse } from 'fastify';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  correlationId: string;
  code: string;
  errors?: Array<{ field: string; message: string }>;
}

/**
 * Asserts the response is an RFC 9457 problem with the given status (and code, if given), whose
 * correlation id is the X-Request-Id echoed on the response, and returns the parsed body.
 */
export function expectProblem(res: LightMyRequestResponse, status: number, code?: string): ProblemBody {
  expect({ status: res.statusCode, body: res.body }).toEqual({ status, body: expect.any(String) });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  const body = res.json<ProblemBody>();
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^urn:bulwark:problem:[a-z0-9-]+$/),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.stringMatching(/^\//),
      correlationId: res.headers['x-request-id'],
      code: code ?? expect.any(String),
    }),
  );
  expect(body.correlationId).toEqual(expect.any(String));
  return body;
}

/** Value of one series of the Prometheus text exposition, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    const parsed = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]] as const),
    );
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(parsed).length && wanted.every(([k, v]) => parsed[k] === v))
      return Number(line.slice(close + 1).trim());
  }
  return 0;
}
