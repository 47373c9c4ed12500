export type XirrStatus = 'converged' | 'no_root' | 'not_converged';

export interface XirrResult {
  /** The annual rate, or NaN when there is no root or the solver did not converge. */
  rate: number;
  status: XirrStatus;
  iterations: number;
}

export interface DatedFlow {
  /** Days since the Unix epoch (UTC). */
  day: number;
  amount: number;
}

const DAYS_PER_YEAR = 365;
const TOLERANCE = 1e-12;
const MAX_ITERATIONS = 200;
/** Excel's default guess: among several roots, the one nearest it is reported. */
const GUESS = 0.1;
/** Bracket candidates over the whole domain (-1, inf); XIRR roots far outside these are not meaningful. */
const GRID = [
  -0.999999, -0.9999, -0.999, -0.99, -0.95, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2, -0.1, -0.05, 0, 0.05, 0.1,
  0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 50, 100, 1e3, 1e4, 1e6,
];

/** NPV on actual dates, ACT/365, discounted to the earliest flow. */
export function xnpv(rate: number, flows: readonly DatedFlow[], day0: number): number {
  const logGrowth = Math.log1p(rate);
  let sum = 0;
  for (const f of flows) sum += f.amount * Math.exp((-(f.day - day0) / DAYS_PER_YEAR) * logGrowth);
  return sum;
}

/** Brent's method on a bracket [a, b] with f(a), f(b) of opposite signs. */
function brent(f: (x: number) => number, a: number, b: number, fa: number, fb: number): XirrResult {
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      [a, b, c] = [b, c, b];
      [fa, fb, fc] = [fb, fc, fb];
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + TOLERANCE / 2;
    const m = (c - b) / 2;
    if (Math.abs(m) <= tol || fb === 0) return { rate: b, status: 'converged', iterations: i };
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
    if (!Number.isFinite(fb)) return { rate: Number.NaN, status: 'not_converged', iterations: i };
  }
  return { rate: Number.NaN, status: 'not_converged', iterations: MAX_ITERATIONS };
}

/**
 * XIRR as a spreadsheet computes it (actual dates, ACT/365), by a bracketed root finder: scan a grid of
 * rates for sign changes, take the bracket nearest Excel's 10% guess, refine with Brent's method. Without
 * both a negative and a positive flow there is no root (`no_root`, NaN); a solver failure says so
 * (`not_converged`, NaN) instead of returning a number that is not a root.
 */
export function xirr(flows: readonly DatedFlow[]): XirrResult {
  const hasNegative = flows.some((f) => f.amount < 0);
  const hasPositive = flows.some((f) => f.amount > 0);
  if (!hasNegative || !hasPositive) return { rate: Number.NaN, status: 'no_root', iterations: 0 };
  const day0 = Math.min(...flows.map((f) => f.day));
  const f = (r: number): number => xnpv(r, flows, day0);
  const values = GRID.map(f);
  let best: [number, number] | undefined;
  for (let i = 0; i < GRID.length; i++) {
    if (values[i] === 0) return { rate: GRID[i], status: 'converged', iterations: 0 };
    if (i === 0 || !Number.isFinite(values[i]) || !Number.isFinite(values[i - 1])) continue;
    if (Math.sign(values[i]) === Math.sign(values[i - 1])) continue;
    const distance = Math.min(Math.abs(GRID[i - 1] - GUESS), Math.abs(GRID[i] - GUESS));
    if (!best || distance < Math.min(Math.abs(GRID[best[0]] - GUESS), Math.abs(GRID[best[1]] - GUESS)))
      best = [i - 1, i];
  }
  if (!best) return { rate: Number.NaN, status: 'not_converged', iterations: 0 };
  const [lo, hi] = best;
  return brent(f, GRID[lo], GRID[hi], values[lo], values[hi]);
}
