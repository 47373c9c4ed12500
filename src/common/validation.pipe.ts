import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { CommonErrorCode, CommonException } from './common.exception';
import type { FieldError } from './problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Global DTO validation: unknown fields rejected, types converted, every failing field listed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return new CommonException(
        CommonErrorCode.ValidationFailed,
        `${fieldErrors.length} field(s) failed validation.`,
        fieldErrors,
      );
    },
  });
}
