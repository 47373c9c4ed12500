export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error response of the service is shaped. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  correlationId: string | undefined;
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(slug: string): string {
  return `urn:bulwark:problem:${slug}`;
}
