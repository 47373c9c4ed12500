import { mulberry32 } from './mulberry32';

export type FaultKind = 'nan' | 'inf' | 'neg_inf' | 'extreme_pos' | 'extreme_neg';

/** Values a fault writes, in the order the generator picks them. 1e308 is finite but overflows arithmetic. */
export const FAULT_VALUES: ReadonlyArray<readonly [FaultKind, number]> = [
  ['nan', Number.NaN],
  ['inf', Number.POSITIVE_INFINITY],
  ['neg_inf', Number.NEGATIVE_INFINITY],
  ['extreme_pos', 1e308],
  ['extreme_neg', -1e308],
];

export interface InjectedFault {
  /** 1-based index of the engine call the fault was injected into. */
  call: number;
  path: string;
  kind: FaultKind;
  value: number;
}

export interface FaultOptions {
  /** Probability in [0, 1] that a call's result is corrupted. */
  rate: number;
  /** Mulberry32 seed: the same seed and call sequence give the same faults. */
  seed: number;
  /** Dotted result paths that may be hit, e.g. `irr` or `percentiles.p95`. */
  targetKeys: readonly string[];
  onFault?: (fault: InjectedFault) => void;
}

/** Writes `value` at a dotted path on a copy, copying only the containers on the path. */
function setPath(root: unknown, segments: readonly string[], value: number): { root: unknown; applied: boolean } {
  if (segments.length === 0 || typeof root !== 'object' || root === null) return { root, applied: false };
  const [head, ...rest] = segments;
  const container = root as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(container, head)) return { root, applied: false };
  const child = rest.length === 0 ? { root: value, applied: true } : setPath(container[head], rest, value);
  if (!child.applied) return { root, applied: false };
  const copy: Record<string, unknown> | unknown[] = Array.isArray(root) ? [...(root as unknown[])] : { ...container };
  (copy as Record<string, unknown>)[head] = child.root;
  return { root: copy, applied: true };
}

export interface PlannedFault {
  path: string;
  kind: FaultKind;
  value: number;
}

/**
 * Decides one call's faults from the generator alone, before the result exists, so the sequence depends
 * only on the seed and the order of calls (not on results or on which async call finishes first).
 */
export function planFaults(rng: () => number, options: Pick<FaultOptions, 'rate' | 'targetKeys'>): PlannedFault[] {
  const hit = rng() < options.rate;
  const keys = [...options.targetKeys];
  if (!hit || keys.length === 0) return [];
  const howMany = 1 + Math.floor(rng() * keys.length);
  const plan: PlannedFault[] = [];
  for (let i = 0; i < howMany; i++) {
    // Partial Fisher-Yates: distinct keys, so each fault is one value the guard must fix.
    const j = i + Math.floor(rng() * (keys.length - i));
    [keys[i], keys[j]] = [keys[j], keys[i]];
    const [kind, value] = FAULT_VALUES[Math.floor(rng() * FAULT_VALUES.length)];
    plan.push({ path: keys[i], kind, value });
  }
  return plan;
}

/** Applies planned faults to a copy of `result`; paths the result does not have are skipped. */
export function applyFaults(
  result: unknown,
  plan: readonly PlannedFault[],
  call: number,
): { result: unknown; faults: InjectedFault[] } {
  let current = result;
  const faults: InjectedFault[] = [];
  for (const p of plan) {
    const next = setPath(current, p.path.split('.'), p.value);
    if (!next.applied) continue;
    current = next.root;
    faults.push({ call, ...p });
  }
  return { result: current, faults };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/**
 * Wraps any engine object: every method call's result (sync or promised) gets, with probability `rate`,
 * one or more of `targetKeys` replaced by NaN, +/-Infinity or +/-1e308. The engine's own result objects
 * are never mutated. Each wrapper owns its generator, so a fresh wrapper with the same seed replays.
 */
export function withFaults<T extends object>(engine: T, options: FaultOptions): T {
  if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError(`fault rate must be in [0, 1]: ${options.rate}`);
  const rng = mulberry32(options.seed);
  let calls = 0;
  const apply = (result: unknown, plan: PlannedFault[], call: number): unknown => {
    if (plan.length === 0) return result;
    const { result: out, faults } = applyFaults(result, plan, call);
    for (const f of faults) options.onFault?.(f);
    return out;
  };
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const member: unknown = Reflect.get(target, prop, receiver);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const call = ++calls;
        const plan = planFaults(rng, options);
        const result: unknown = (member as (...a: unknown[]) => unknown).apply(target, args);
        return isThenable(result)
          ? Promise.resolve(result).then((r) => apply(r, plan, call))
          : apply(result, plan, call);
      };
    },
  });
}
