/**
 * class-transformer helpers for query-string DTOs: query values arrive as strings, so they are converted
 * before validation. Anything that does not convert is passed through unchanged for the validator to reject.
 */
type TransformArg = { value: unknown };

export const toDate = ({ value }: TransformArg): unknown => (typeof value === 'string' ? new Date(value) : value);

export const toInt = ({ value }: TransformArg): unknown =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

export const toBool = ({ value }: TransformArg): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;
