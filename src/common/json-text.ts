/**
 * A string JSON.stringify returns unchanged between two quotes: no quote, backslash, control character or
 * surrogate (lone surrogates are escaped; pairs take the slow path too, which is merely slower). Such strings need
 * no escaping in COPY text format either, so the audit writer uses one test for both encodings.
 */
// eslint-disable-next-line no-control-regex
export const NEEDS_JSON_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** JSON.stringify(s), without its call for the strings that need no escaping (most of them). */
export function jsonString(s: string): string {
  return NEEDS_JSON_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}
