import type { FieldError } from './problem';

export enum CommonErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  MalformedJson = 'MALFORMED_JSON',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  RouteNotFound = 'ROUTE_NOT_FOUND',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  BadRequest = 'BAD_REQUEST',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  Internal = 'INTERNAL',
}

/** Errors raised by shared plumbing (request parsing, validation, routing). */
export class CommonException extends Error {
  constructor(
    readonly code: CommonErrorCode,
    readonly detail: string,
    readonly fieldErrors?: FieldError[],
  ) {
    super(detail);
    this.name = 'CommonException';
  }
}
