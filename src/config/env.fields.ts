/**
 * Field parsers for the env schema. Each parser turns a raw string (or undefined) into a typed value or
 * returns an error message; the loader collects every message so a bad environment is reported at once.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface EnvField<T> {
  readonly default: string | undefined;
  readonly doc: string;
  readonly secret: boolean;
  parse(raw: string | undefined): Parsed<T>;
}

interface FieldOptions {
  doc: string;
  secret?: boolean;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

function field<T>(
  defaultValue: string | undefined,
  opts: FieldOptions,
  parse: (raw: string) => Parsed<T>,
  whenMissing?: () => Parsed<T>,
): EnvField<T> {
  return {
    default: defaultValue,
    doc: opts.doc,
    secret: opts.secret ?? false,
    parse(raw) {
      const value = raw === undefined || raw === '' ? defaultValue : raw;
      if (value === undefined) return whenMissing ? whenMissing() : fail('is required');
      return parse(value.trim());
    },
  };
}

export function int(defaultValue: number, opts: FieldOptions & { min?: number; max?: number }): EnvField<number> {
  return field(String(defaultValue), opts, (raw) => {
    if (!/^-?\d+$/.test(raw)) return fail(`must be an integer, got "${raw}"`);
    const n = Number(raw);
    if (opts.min !== undefined && n < opts.min) return fail(`must be >= ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) return fail(`must be <= ${opts.max}, got ${n}`);
    return ok(n);
  });
}

export function num(defaultValue: number, opts: FieldOptions & { min?: number; max?: number }): EnvField<number> {
  return field(String(defaultValue), opts, (raw) => {
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n)) return fail(`must be a finite number, got "${raw}"`);
    if (opts.min !== undefined && n < opts.min) return fail(`must be >= ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) return fail(`must be <= ${opts.max}, got ${n}`);
    return ok(n);
  });
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function bool(defaultValue: boolean, opts: FieldOptions): EnvField<boolean> {
  return field(String(defaultValue), opts, (raw) => {
    const v = raw.toLowerCase();
    if (TRUE.has(v)) return ok(true);
    if (FALSE.has(v)) return ok(false);
    return fail(`must be a boolean (true/false/1/0), got "${raw}"`);
  });
}

export function oneOf<const T extends string>(values: readonly T[], defaultValue: T, opts: FieldOptions): EnvField<T> {
  return field(defaultValue, opts, (raw) =>
    (values as readonly string[]).includes(raw)
      ? ok(raw as T)
      : fail(`must be one of ${values.join('|')}, got "${raw}"`),
  );
}

export function str(
  defaultValue: string,
  opts: FieldOptions & { pattern?: RegExp; maxLength?: number },
): EnvField<string> {
  return field(defaultValue, opts, (raw) => {
    if (opts.maxLength !== undefined && raw.length > opts.maxLength)
      return fail(`must be at most ${opts.maxLength} chars`);
    if (opts.pattern && !opts.pattern.test(raw)) return fail(`must match ${String(opts.pattern)}`);
    return ok(raw);
  });
}

export function optionalStr(
  opts: FieldOptions & { minLength?: number; pattern?: RegExp },
): EnvField<string | undefined> {
  return field<string | undefined>(
    undefined,
    opts,
    (raw) => {
      if (opts.minLength !== undefined && raw.length < opts.minLength)
        return fail(`must be at least ${opts.minLength} chars`);
      if (opts.pattern && !opts.pattern.test(raw)) return fail(`must match ${String(opts.pattern)}`);
      return ok(raw);
    },
    () => ok(undefined),
  );
}

export function optionalUrl(protocols: readonly string[], opts: FieldOptions): EnvField<string | undefined> {
  return field<string | undefined>(
    undefined,
    opts,
    (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return fail('must be a valid URL');
      }
      if (!protocols.includes(url.protocol)) return fail(`must use ${protocols.join(' or ')}, got ${url.protocol}`);
      return ok(raw);
    },
    () => ok(undefined),
  );
}

export function list(defaultValue: string, opts: FieldOptions & { item?: RegExp }): EnvField<string[]> {
  return field(defaultValue, opts, (raw) => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const bad = opts.item ? items.filter((i) => !opts.item!.test(i)) : [];
    return bad.length ? fail(`has invalid entries: ${bad.join(', ')}`) : ok(items);
  });
}

/** TRUST_PROXY: false, true, a hop count, or a comma-separated list of addresses/CIDRs. */
export function trustProxy(opts: FieldOptions): EnvField<boolean | number | string[]> {
  return field<boolean | number | string[]>('false', opts, (raw) => {
    const v = raw.toLowerCase();
    if (FALSE.has(v)) return ok(false);
    if (TRUE.has(v) && v !== '1') return ok(true);
    if (/^\d+$/.test(v)) return ok(Number(v));
    const items = raw.split(',').map((s) => s.trim());
    const bad = items.filter(
      (i) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(i) && !/^(loopback|linklocal|uniquelocal)$/.test(i),
    );
    return bad.length ? fail(`has invalid entries: ${bad.join(', ')}`) : ok(items);
  });
}
