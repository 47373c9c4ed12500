/** The kinds of non-finite numbers, as used in metric labels. */
export type NonFiniteKind = 'nan' | 'inf' | 'neg_inf';

export const NON_FINITE_KINDS: readonly NonFiniteKind[] = ['nan', 'inf', 'neg_inf'];

export function nonFiniteKind(n: number): NonFiniteKind {
  return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : 'neg_inf';
}

/** What `string` mode writes in place of each kind: the JavaScript spelling, as a JSON string. */
export const NON_FINITE_TEXT: Readonly<Record<NonFiniteKind, string>> = {
  nan: 'NaN',
  inf: 'Infinity',
  neg_inf: '-Infinity',
};
