import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { AuthErrorCode, AuthException } from '../auth/auth.exception';
import { CommonErrorCode, CommonException } from './common.exception';
import { toProblem } from './problem.mapper';
import { runWithContext } from './request-context';

describe(toProblem.name, () => {
  it('builds an RFC 9457 problem from a CommonException, field errors included', () => {
    const errors = [{ field: 'name', message: 'name must be a string' }];
    const { problem, headers } = toProblem(
      new CommonException(CommonErrorCode.ValidationFailed, '1 field(s) failed validation.', errors),
      '/api/things',
    );
    expect(problem).toEqual({
      type: 'urn:bulwark:problem:validation-failed',
      title: 'Request validation failed',
      status: 400,
      detail: '1 field(s) failed validation.',
      instance: '/api/things',
      correlationId: undefined,
      code: 'VALIDATION_FAILED',
      errors,
    });
    expect(headers).toBeUndefined();
  });

  it('omits an empty errors list', () => {
    const { problem } = toProblem(new CommonException(CommonErrorCode.BadRequest, 'no', []), '/x');
    expect(problem).not.toHaveProperty('errors');
  });

  it.each([
    [CommonErrorCode.ValidationFailed, 400],
    [CommonErrorCode.MalformedJson, 400],
    [CommonErrorCode.BadRequest, 400],
    [CommonErrorCode.UnsupportedMediaType, 415],
    [CommonErrorCode.PayloadTooLarge, 413],
    [CommonErrorCode.RouteNotFound, 404],
    [CommonErrorCode.MethodNotAllowed, 405],
    [CommonErrorCode.ServiceUnavailable, 503],
    [CommonErrorCode.Internal, 500],
  ])('maps common code %s to status %i', (code, status) => {
    const { problem } = toProblem(new CommonException(code, 'detail'), '/x');
    expect(problem.status).toBe(status);
    expect(problem.code).toBe(code);
    expect(problem.type).toBe(`urn:bulwark:problem:${code.toLowerCase().replace(/_/g, '-')}`);
  });

  it('covers every CommonErrorCode', () => {
    for (const code of Object.values(CommonErrorCode))
      expect(() => toProblem(new CommonException(code, 'd'), '/x')).not.toThrow();
  });

  it.each([
    [AuthErrorCode.MissingCredentials, 401],
    [AuthErrorCode.InvalidCredentials, 401],
    [AuthErrorCode.AmbiguousCredentials, 400],
    [AuthErrorCode.InsufficientRole, 403],
    [AuthErrorCode.ProductionReadOnly, 403],
    [AuthErrorCode.ApiKeyNotFound, 404],
    [AuthErrorCode.ApiKeyAlreadyRevoked, 409],
    [AuthErrorCode.InvalidCursor, 400],
  ])('maps auth code %s to status %i', (code, status) => {
    const { problem } = toProblem(new AuthException(code, 'detail'), '/x');
    expect(problem.status).toBe(status);
    expect(problem.code).toBe(code);
  });

  it('covers every AuthErrorCode', () => {
    for (const code of Object.values(AuthErrorCode))
      expect(() => toProblem(new AuthException(code, 'd'), '/x')).not.toThrow();
  });

  it('challenges 401s with WWW-Authenticate and never 403s', () => {
    expect(toProblem(new AuthException(AuthErrorCode.MissingCredentials, 'd'), '/x').headers).toEqual({
      'www-authenticate': 'Bearer, ApiKey',
    });
    expect(toProblem(new AuthException(AuthErrorCode.InsufficientRole, 'd'), '/x').headers).toBeUndefined();
  });

  it("maps Nest's HttpExceptions by status, 404 as ROUTE_NOT_FOUND", () => {
    const notFound = toProblem(new NotFoundException('Cannot GET /nope'), '/nope').problem;
    expect(notFound).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND', detail: 'Cannot GET /nope' });
    const bad = toProblem(new BadRequestException('bad thing'), '/x').problem;
    expect(bad).toMatchObject({ status: 400, code: 'BAD_REQUEST', title: 'Bad Request', detail: 'bad thing' });
    const teapot = toProblem(new HttpException('short and stout', 418), '/x').problem;
    expect(teapot).toMatchObject({ status: 418, title: "I'm a Teapot", detail: 'short and stout' });
  });

  it.each([
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400],
    ['FST_ERR_BAD_URL', 400],
  ])("maps Fastify's %s to %i", (code, status) => {
    const err = Object.assign(new Error('fastify says no'), { code, statusCode: status });
    expect(toProblem(err, '/x').problem.status).toBe(status);
  });

  it('keeps other 4xx errors that carry a statusCode', () => {
    const err = Object.assign(new Error('too many'), { statusCode: 429 });
    expect(toProblem(err, '/x').problem).toMatchObject({ status: 429, code: 'HTTP_429', detail: 'too many' });
  });

  it('turns unknown errors into a generic 500 that reveals nothing', () => {
    const err = Object.assign(new Error('relation "api_keys" does not exist'), {
      code: '42P01',
      query: 'SELECT secret FROM api_keys',
    });
    const { problem } = toProblem(err, '/x');
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'An unexpected error occurred.' });
    const text = JSON.stringify(problem);
    expect(text).not.toContain('api_keys');
    expect(text).not.toContain('42P01');
    expect(text).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it.each([
    ['a string', 'boom'],
    ['null', null],
    ['a 5xx statusCode', Object.assign(new Error('upstream detail'), { statusCode: 502 })],
  ])('turns %s into a generic 500', (_label, thrown) => {
    expect(toProblem(thrown, '/x').problem).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
  });

  it('carries the correlation id of the current request context', () => {
    const { problem } = runWithContext({ correlationId: 'corr-42' }, () =>
      toProblem(new CommonException(CommonErrorCode.BadRequest, 'd'), '/x'),
    );
    expect(problem.correlationId).toBe('corr-42');
  });
});
