export enum AuditErrorCode {
  InvalidCursor = 'AUDIT_INVALID_CURSOR',
  InvalidRange = 'AUDIT_INVALID_RANGE',
}

export class AuditException extends Error {
  constructor(
    readonly code: AuditErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'AuditException';
  }
}
