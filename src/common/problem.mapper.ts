import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { AuditErrorCode, AuditException } from '../audit/audit.exception';
import { AuthErrorCode, AuthException } from '../auth/auth.exception';
import { CalcErrorCode, CalcException } from '../calc/calc.exception';
import { EngineGuardErrorCode, EngineGuardException } from '../engine-guard/engine-guard.exception';
import { CommonErrorCode, CommonException } from './common.exception';
import { problemType, type FieldError, type ProblemDetails } from './problem';
import { currentCorrelationId } from './request-context';

interface Mapped {
  status: number;
  title: string;
  code: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

function assertNever(x: never): never {
  throw new Error(`unmapped error code ${String(x)}`);
}

function mapCommon(e: CommonException): Mapped {
  const base = { code: e.code, detail: e.detail, errors: e.fieldErrors };
  switch (e.code) {
    case CommonErrorCode.ValidationFailed:
      return { ...base, status: 400, title: 'Request validation failed' };
    case CommonErrorCode.MalformedJson:
      return { ...base, status: 400, title: 'Malformed JSON body' };
    case CommonErrorCode.BadRequest:
      return { ...base, status: 400, title: 'Bad request' };
    case CommonErrorCode.UnsupportedMediaType:
      return { ...base, status: 415, title: 'Unsupported media type' };
    case CommonErrorCode.PayloadTooLarge:
      return { ...base, status: 413, title: 'Payload too large' };
    case CommonErrorCode.RouteNotFound:
      return { ...base, status: 404, title: 'Not found' };
    case CommonErrorCode.MethodNotAllowed:
      return { ...base, status: 405, title: 'Method not allowed' };
    case CommonErrorCode.ServiceUnavailable:
      return { ...base, status: 503, title: 'Service unavailable' };
    case CommonErrorCode.Internal:
      return { ...base, status: 500, title: 'Internal server error' };
    default:
      return assertNever(e.code);
  }
}

function mapAuth(e: AuthException): Mapped {
  const base = { code: e.code, detail: e.detail };
  switch (e.code) {
    case AuthErrorCode.MissingCredentials:
    case AuthErrorCode.InvalidCredentials:
      return { ...base, status: 401, title: 'Unauthorized', headers: { 'www-authenticate': 'Bearer, ApiKey' } };
    case AuthErrorCode.AmbiguousCredentials:
      return { ...base, status: 400, title: 'Ambiguous credentials' };
    case AuthErrorCode.InsufficientRole:
    case AuthErrorCode.ProductionReadOnly:
      return { ...base, status: 403, title: 'Forbidden' };
    case AuthErrorCode.InvalidCursor:
      return { ...base, status: 400, title: 'Invalid cursor' };
    case AuthErrorCode.ApiKeyNotFound:
      return { ...base, status: 404, title: 'API key not found' };
    case AuthErrorCode.ApiKeyAlreadyRevoked:
      return { ...base, status: 409, title: 'API key already revoked' };
    default:
      return assertNever(e.code);
  }
}

function mapEngine(e: EngineGuardException): Mapped {
  const base = { code: e.code, detail: e.detail };
  switch (e.code) {
    case EngineGuardErrorCode.NonFiniteResponse:
      return {
        ...base,
        status: 500,
        title: 'Non-finite value in response',
        errors: e.paths.map((field) => ({ field, message: 'value is not a finite number' })),
      };
    case EngineGuardErrorCode.FaultInjectionForbidden:
      return { ...base, status: 403, title: 'Forbidden' };
    default:
      return assertNever(e.code);
  }
}

function mapCalc(e: CalcException): Mapped {
  switch (e.code) {
    case CalcErrorCode.InvalidInput:
      return { code: e.code, detail: e.detail, errors: e.fieldErrors, status: 400, title: 'Invalid calculation input' };
    default:
      return assertNever(e.code);
  }
}

function mapAudit(e: AuditException): Mapped {
  const base = { code: e.code, detail: e.detail };
  switch (e.code) {
    case AuditErrorCode.InvalidCursor:
      return { ...base, status: 400, title: 'Invalid cursor' };
    case AuditErrorCode.InvalidRange:
      return { ...base, status: 400, title: 'Invalid range' };
    default:
      return assertNever(e.code);
  }
}

/** Fastify's own request errors (content-type parsing, body size) carry FST_* codes. */
const FASTIFY_CODES: Record<string, CommonErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: CommonErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_INVALID_TYPE: CommonErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_BODY_TOO_LARGE: CommonErrorCode.PayloadTooLarge,
  FST_ERR_CTP_EMPTY_JSON_BODY: CommonErrorCode.MalformedJson,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: CommonErrorCode.BadRequest,
  FST_ERR_CTP_EMPTY_TYPE: CommonErrorCode.UnsupportedMediaType,
  FST_ERR_BAD_URL: CommonErrorCode.BadRequest,
  FST_ERR_ASYNC_CONSTRAINT: CommonErrorCode.BadRequest,
};

function mapHttp(e: HttpException): Mapped {
  const status = e.getStatus();
  const response = e.getResponse();
  const message =
    typeof response === 'string'
      ? response
      : typeof (response as { message?: unknown }).message === 'string'
        ? (response as { message: string }).message
        : e.message;
  const code =
    status === 404 ? CommonErrorCode.RouteNotFound : (HttpStatus[status] ?? `HTTP_${status}`).toString().toUpperCase();
  const headers = (e as { headers?: Record<string, string> }).headers;
  return { status, title: STATUS_CODES[status] ?? 'Error', code, detail: message, headers };
}

function mapUnknown(error: unknown): Mapped {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const fst = typeof e?.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (fst) return mapCommon(new CommonException(fst, String(e.message ?? fst)));
  if (error instanceof SyntaxError && e.statusCode === 400)
    return mapCommon(new CommonException(CommonErrorCode.MalformedJson, 'Request body is not valid JSON.'));
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const status = e.statusCode;
    return { status, title: STATUS_CODES[status] ?? 'Error', code: `HTTP_${status}`, detail: String(e.message ?? '') };
  }
  return mapCommon(new CommonException(CommonErrorCode.Internal, 'An unexpected error occurred.'));
}

/** Maps any thrown value to problem details. Unknown errors become a generic 500 that reveals nothing. */
export function toProblem(
  error: unknown,
  instance: string,
): { problem: ProblemDetails; headers?: Record<string, string> } {
  const mapped =
    error instanceof CommonException
      ? mapCommon(error)
      : error instanceof AuthException
        ? mapAuth(error)
        : error instanceof AuditException
          ? mapAudit(error)
          : error instanceof EngineGuardException
            ? mapEngine(error)
            : error instanceof CalcException
              ? mapCalc(error)
              : error instanceof HttpException
                ? mapHttp(error)
                : mapUnknown(error);
  const problem: ProblemDetails = {
    type: problemType(mapped.code.toLowerCase().replace(/_/g, '-')),
    title: mapped.title,
    status: mapped.status,
    detail: mapped.detail,
    instance,
    correlationId: currentCorrelationId(),
    code: mapped.code,
  };
  if (mapped.errors?.length) problem.errors = mapped.errors;
  return { problem, headers: mapped.headers };
}
