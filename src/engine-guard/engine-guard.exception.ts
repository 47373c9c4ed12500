export enum EngineGuardErrorCode {
  NonFiniteResponse = 'ENGINE_GUARD_NON_FINITE_RESPONSE',
  FaultInjectionForbidden = 'ENGINE_FAULT_INJECTION_FORBIDDEN',
}

/** Errors of the engine guard: a response refused in `error` mode, or a forbidden fault-injection change. */
export class EngineGuardException extends Error {
  constructor(
    readonly code: EngineGuardErrorCode,
    readonly detail: string,
    readonly paths: readonly string[] = [],
  ) {
    super(detail);
    this.name = 'EngineGuardException';
  }
}
