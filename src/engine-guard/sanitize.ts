import { formatJsonPath } from './json-path';
import { NON_FINITE_TEXT, nonFiniteKind, type NonFiniteKind } from './non-finite';

export type ReplacementMode = 'null' | 'string';
export type LimitKind = 'depth' | 'nodes';

export interface SanitizeOptions {
  mode: ReplacementMode;
  maxDepth: number;
  maxNodes: number;
}

export interface SanitizeReport {
  /** Non-finite numbers replaced. */
  count: number;
  kinds: Record<NonFiniteKind, number>;
  /** The first MAX_REPORTED_PATHS paths fixed (JSONPath-like). */
  paths: string[];
  /** Set when the walk hit a limit and the replacer-based fallback produced the result. */
  limitExceeded: LimitKind | null;
}

export interface SanitizeResult<T> {
  value: T;
  report: SanitizeReport;
  /** The JSON text of `value` when the fallback already produced it (saves a second serialisation). */
  json?: string;
}

export const MAX_REPORTED_PATHS = 10;

class LimitSignal {
  constructor(readonly kind: LimitKind) {}
}

interface WalkState {
  nodes: number;
  readonly maxDepth: number;
  readonly maxNodes: number;
}

type Json = Record<string, unknown>;
type ToJson = { toJSON(key: string): unknown };

function hasToJson(o: object): o is ToJson {
  return typeof (o as Partial<ToJson>).toJSON === 'function';
}

function enter(st: WalkState, depth: number, width: number): void {
  st.nodes += width + 1;
  if (st.nodes > st.maxNodes) throw new LimitSignal('nodes');
  if (depth > st.maxDepth) throw new LimitSignal('depth');
}

function isFloatArray(o: object): o is Float64Array | Float32Array {
  return o instanceof Float64Array || o instanceof Float32Array;
}

/**
 * The check pass: true when a non-finite number would reach JSON.stringify's output. It follows exactly
 * what JSON.stringify serialises (toJSON once per value, own enumerable keys, typed arrays by index,
 * Map/Set as `{}`), allocates nothing and stops at the first hit, so clean payloads cost one walk.
 */
function scanObject(o: object, key: string | number, depth: number, st: WalkState): boolean {
  let v: unknown = o;
  if (hasToJson(o)) {
    v = o.toJSON(String(key));
    if (typeof v === 'number') return v - v !== 0;
    if (typeof v !== 'object' || v === null) return false;
  }
  const obj = v as object;
  if (Array.isArray(obj)) {
    const n = obj.length;
    enter(st, depth, n);
    for (let i = 0; i < n; i++) {
      const e: unknown = obj[i];
      if (typeof e === 'number') {
        if (e - e !== 0) return true;
      } else if (typeof e === 'object' && e !== null && scanObject(e, i, depth + 1, st)) return true;
    }
    return false;
  }
  if (ArrayBuffer.isView(obj)) {
    if (!isFloatArray(obj)) return false;
    enter(st, depth, obj.length);
    for (let i = 0; i < obj.length; i++) if (obj[i] - obj[i] !== 0) return true;
    return false;
  }
  if (obj instanceof Number) return !Number.isFinite(obj.valueOf());
  // for-in avoids allocating a key array. It also sees inherited enumerable keys, which JSON.stringify
  // skips: at worst a false alarm, which the fix pass (own keys only) then finds nothing to fix for.
  const rec = obj as Json;
  enter(st, depth, 0);
  let n = 0;
  for (const k in rec) {
    n++;
    const e = rec[k];
    if (typeof e === 'number') {
      if (e - e !== 0) return true;
    } else if (typeof e === 'object' && e !== null && scanObject(e, k, depth + 1, st)) return true;
  }
  st.nodes += n;
  if (st.nodes > st.maxNodes) throw new LimitSignal('nodes');
  return false;
}

interface FixState extends WalkState {
  readonly mode: ReplacementMode;
  readonly path: Array<string | number>;
  readonly report: SanitizeReport;
}

function replacement(n: number, st: FixState): string | null {
  const kind = nonFiniteKind(n);
  st.report.count++;
  st.report.kinds[kind]++;
  if (st.report.paths.length < MAX_REPORTED_PATHS) st.report.paths.push(formatJsonPath(st.path));
  return st.mode === 'string' ? NON_FINITE_TEXT[kind] : null;
}

/** Returns `v` itself when nothing under it changes, otherwise a fixed copy: shared objects are never mutated. */
function fixValue(v: unknown, key: string | number, depth: number, st: FixState): unknown {
  if (typeof v === 'number') return v - v !== 0 ? replacement(v, st) : v;
  if (typeof v !== 'object' || v === null) return v;
  let target: unknown = v;
  if (hasToJson(v)) {
    target = v.toJSON(String(key));
    if (typeof target === 'number') return target - target !== 0 ? replacement(target, st) : v;
    if (typeof target !== 'object' || target === null) return v;
  }
  const fixed = fixContainer(target as object, depth, st);
  // Unchanged: keep the original (toJSON and all) so serialisation later is exactly what it would have been.
  return fixed === target ? v : fixed;
}

/** Own data property even for a key named __proto__, which plain assignment would turn into a prototype. */
function put(target: Json, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Fixes one child. Primitives are settled inline; the path stack is kept only while paths are reported. */
function fixChild(e: unknown, key: string | number, pathKey: string | number, depth: number, st: FixState): unknown {
  if (typeof e === 'number') {
    if (e - e === 0) return e;
  } else if (typeof e !== 'object' || e === null) return e;
  if (st.report.paths.length >= MAX_REPORTED_PATHS) return fixValue(e, key, depth, st);
  st.path.push(pathKey);
  const f = fixValue(e, key, depth, st);
  st.path.pop();
  return f;
}

function fixContainer(obj: object, depth: number, st: FixState): unknown {
  if (Array.isArray(obj)) {
    enter(st, depth, obj.length);
    let copy: unknown[] | undefined;
    for (let i = 0; i < obj.length; i++) {
      const e: unknown = obj[i];
      const f = fixChild(e, i, i, depth + 1, st);
      if (f !== e) {
        copy ??= obj.slice(0, i);
        copy.push(f);
      } else if (copy) copy.push(e);
    }
    return copy ?? obj;
  }
  if (ArrayBuffer.isView(obj) && !isFloatArray(obj)) return obj;
  const keys = Object.keys(obj);
  if (keys.length === 0 && obj instanceof Number) return fixValue(obj.valueOf(), '', depth, st);
  enter(st, depth, keys.length);
  const rec = obj as Json;
  let copy: Json | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const e = rec[k];
    const f = fixChild(e, k, ArrayBuffer.isView(obj) ? i : k, depth + 1, st);
    if (f !== e) {
      if (!copy) {
        // A plain object with the same keys in the same order serialises exactly like the original.
        copy = {};
        for (let j = 0; j < i; j++) put(copy, keys[j], rec[keys[j]]);
      }
      put(copy, k, f);
    } else if (copy) put(copy, k, e);
  }
  return copy ?? obj;
}

function emptyReport(): SanitizeReport {
  return { count: 0, kinds: { nan: 0, inf: 0, neg_inf: 0 }, paths: [], limitExceeded: null };
}

/**
 * Past the depth or node limit the walk gives up, and JSON.stringify with a replacer produces the output
 * instead: slower, but it still guarantees no non-finite number leaves. Cycles end up here too (they look
 * infinitely deep) and make JSON.stringify throw, exactly as an unguarded response would.
 */
function fallback(value: unknown, mode: ReplacementMode, limit: LimitKind): SanitizeResult<unknown> {
  const report = emptyReport();
  report.limitExceeded = limit;
  const json = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const n = v instanceof Number ? v.valueOf() : v;
    if (typeof n !== 'number' || n - n === 0) return v;
    const kind = nonFiniteKind(n);
    report.count++;
    report.kinds[kind]++;
    if (report.paths.length < MAX_REPORTED_PATHS) report.paths.push(`$..${key}`);
    return mode === 'string' ? NON_FINITE_TEXT[kind] : null;
  });
  return { value: json === undefined ? undefined : JSON.parse(json), report, json };
}

/** True when JSON.stringify(value) would write at least one NaN/Infinity as null. Throws LimitSignal. */
function dirty(value: unknown, st: WalkState): boolean {
  if (typeof value === 'number') return value - value !== 0;
  return typeof value === 'object' && value !== null && scanObject(value, '', 0, st);
}

/**
 * Replaces every NaN, Infinity and -Infinity that JSON.stringify would serialise with null or its name.
 * Checks first and copies only along the paths that need fixing, so a clean value comes back as the same
 * reference and a shared object is never mutated.
 */
export function sanitizeValue<T>(value: T, options: SanitizeOptions): SanitizeResult<T> {
  const walk: WalkState = { nodes: 0, maxDepth: options.maxDepth, maxNodes: options.maxNodes };
  try {
    if (!dirty(value, walk)) return { value, report: emptyReport() };
    const st: FixState = { ...walk, nodes: 0, mode: options.mode, path: [], report: emptyReport() };
    return { value: fixValue(value, '', 0, st) as T, report: st.report };
  } catch (err) {
    if (err instanceof LimitSignal) return fallback(value, options.mode, err.kind) as SanitizeResult<T>;
    // Deep nesting within maxDepth can still exhaust the stack; treat it as the depth limit.
    if (err instanceof RangeError) return fallback(value, options.mode, 'depth') as SanitizeResult<T>;
    throw err;
  }
}
