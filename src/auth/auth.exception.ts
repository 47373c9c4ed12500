export enum AuthErrorCode {
  MissingCredentials = 'AUTH_MISSING_CREDENTIALS',
  InvalidCredentials = 'AUTH_INVALID_CREDENTIALS',
  AmbiguousCredentials = 'AUTH_AMBIGUOUS_CREDENTIALS',
  InsufficientRole = 'AUTH_INSUFFICIENT_ROLE',
  ProductionReadOnly = 'AUTH_PRODUCTION_READ_ONLY',
  ApiKeyNotFound = 'AUTH_API_KEY_NOT_FOUND',
  ApiKeyAlreadyRevoked = 'AUTH_API_KEY_ALREADY_REVOKED',
  InvalidCursor = 'AUTH_INVALID_CURSOR',
}

export class AuthException extends Error {
  constructor(
    readonly code: AuthErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'AuthException';
  }
}
