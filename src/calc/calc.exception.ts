import type { FieldError } from '../common/problem';

export enum CalcErrorCode {
  InvalidInput = 'CALC_INVALID_INPUT',
}

/** Input the DTO cannot judge alone (bounds that come from configuration, cross-field rules). */
export class CalcException extends Error {
  constructor(
    readonly code: CalcErrorCode,
    readonly detail: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(detail);
    this.name = 'CalcException';
  }
}
