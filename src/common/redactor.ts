/**
 * The one redactor: audit rows and log lines both go through it, so a secret that is masked in one place
 * is masked in the other. It works on two levels:
 * - field names (normalised: lower case, separators removed) whose whole value is replaced, and
 * - values anywhere, free text included: credentials are removed, card numbers (Luhn-valid), US SSNs and
 *   emails are partially masked so support can still correlate them.
 * Output is always plain JSON data (no undefined, Date, bigint, Buffer, NaN), never shares objects with the
 * input (the input is never mutated), and is bounded in depth, node count and string length.
 */
export const REDACTED = '[REDACTED]';

export interface RedactorOptions {
  /** Extra field names to redact (normalised like the built-in ones). */
  extraFields?: readonly string[];
  /** false turns the redactor into a JSON-cleaning copier (allowed outside production only). */
  enabled?: boolean;
  maxDepth?: number;
  maxNodes?: number;
  maxStringLength?: number;
  /** Replace CR/LF in strings (log lines), so text can never forge a second log entry. */
  stripNewlines?: boolean;
  /**
   * Emit object keys in sorted order. Audit records use it: sorted output is its own RFC 8785 canonical JSON,
   * so the hash chain can serialise it with the native JSON.stringify.
   */
  sortKeys?: boolean;
  /** Mask this service's own `bwk_…` API keys in text (default true). */
  redactOwnKeys?: boolean;
}

/** Field names whose value is always secret, after normalisation. */
const EXACT_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'privatekey',
  'clientsecret',
  'ssn',
  'cardnumber',
  'cvv',
  'cvc',
  'pin',
  'xapikey',
];
/** Substrings that make any field name secret (dbPassword, stripeSecret, x-auth-token, api_key_id...). */
const CONTAINED = ['password', 'passwd', 'secret', 'apikey', 'privatekey', 'authorization', 'cookie', 'cardnumber'];
/** Suffix rule for tokens (csrfToken, x-auth-token) without hitting counters such as max_tokens. */
const TOKEN_SUFFIX = 'token';

export function normaliseFieldName(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

/**
 * One pass over a string finds every value-level secret. Group order matters: PEM blocks and connection
 * strings before emails (a URL's `user:pass@host` looks like an email), JWTs before generic tokens.
 */
const VALUE_PATTERN = new RegExp(
  [
    /(?<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$))/.source,
    /(?<conn>\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/?#@]+:)(?<connpw>[^\s@/]+)(?=@)/.source,
    /(?<scheme>\b(?:Bearer|Basic|Token)\s+)(?<cred>[A-Za-z0-9\-._~+/]{8,}=*)/.source,
    /(?<jwt>\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,})/.source,
    /(?<key>\b(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|bwk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{20,}))/
      .source,
    /(?<card>(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-]))/.source,
    /(?<ssn>(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-]))/.source,
    /(?<email>\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b)/.source,
  ].join('|'),
  'gi',
);
/**
 * Cheap pre-check: a string that matches none of these cannot match VALUE_PATTERN, so most strings (words,
 * dates, ids, amounts) skip it. Nine digits (with optional separators) is the shortest SSN; cards are longer.
 */
const MAYBE_SECRET =
  /\d(?:[ -]?\d){8}|@|:\/\/|-----BEGIN|[Bb](?:earer|EARER|asic|ASIC)\s|[Tt](?:oken|OKEN)\s|eyJ|[sprk]k_|AKIA|ASIA|gh[pousr]_|github_pat_|xox|bwk_/;
const FIELD_CACHE_LIMIT = 10_000;

/** Luhn check on a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Card-like digit runs are masked only if they have a card length, a card network prefix and pass Luhn. */
function maskCard(match: string): string {
  const digits = match.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || !/^[2-6]/.test(digits) || !luhnValid(digits)) return match;
  return `****-****-****-${digits.slice(-4)}`;
}

function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, Math.min(3, at))}***${email.slice(at)}`;
}

function replaceValue(match: string, ...args: unknown[]): string {
  const groups = args[args.length - 1] as Record<string, string | undefined>;
  if (groups.pem !== undefined) return '[REDACTED_PRIVATE_KEY]';
  if (groups.conn !== undefined) return `${groups.conn}${REDACTED}`;
  if (groups.scheme !== undefined) return `${groups.scheme}${REDACTED}`;
  if (groups.jwt !== undefined) return '[REDACTED_JWT]';
  if (groups.key !== undefined) return '[REDACTED_KEY]';
  if (groups.card !== undefined) return maskCard(match);
  if (groups.ssn !== undefined) return `***-**-${match.slice(-4)}`;
  if (groups.email !== undefined) return maskEmail(match);
  return match;
}

// eslint-disable-next-line no-control-regex
const UNSTORABLE = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Node budget and the objects on the current path (a short array: depth is bounded), for cycle detection. */
interface WalkState {
  nodes: number;
  ancestors: object[];
}

function keepOwnKeys(match: string, ...args: unknown[]): string {
  return match.startsWith('bwk_') ? match : replaceValue(match, ...args);
}

const CONTROL_NEWLINES = /[\r\n\u2028\u2029]+/g;

/**
 * Sets a field of a copy. A key named `__proto__` (JSON.parse makes it an own property) would set the copy's
 * prototype through plain assignment, losing the field and giving the copy inherited properties; it is defined as an
 * own property instead, as in the input.
 */
function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

export class Redactor {
  private readonly exact: Set<string>;
  private readonly enabled: boolean;
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private readonly maxStringLength: number;
  private readonly stripNewlines: boolean;
  private readonly sortKeys: boolean;
  private readonly redactOwnKeys: boolean;
  private readonly fieldCache = new Map<string, boolean>();

  constructor(options: RedactorOptions = {}) {
    this.exact = new Set([...EXACT_FIELDS, ...(options.extraFields ?? []).map(normaliseFieldName)]);
    this.enabled = options.enabled ?? true;
    this.maxDepth = options.maxDepth ?? 12;
    this.maxNodes = options.maxNodes ?? 10_000;
    this.maxStringLength = options.maxStringLength ?? 8_192;
    this.stripNewlines = options.stripNewlines ?? false;
    this.sortKeys = options.sortKeys ?? false;
    this.redactOwnKeys = options.redactOwnKeys ?? true;
  }

  /** Whether a field of this name is secret whatever its value. */
  isSecretField(name: string): boolean {
    if (!this.enabled) return false;
    // Bodies repeat the same few field names; normalising each occurrence would dominate the cost.
    const cached = this.fieldCache.get(name);
    if (cached !== undefined) return cached;
    const secret = this.classifyField(name);
    if (this.fieldCache.size < FIELD_CACHE_LIMIT) this.fieldCache.set(name, secret);
    return secret;
  }

  private classifyField(name: string): boolean {
    const n = normaliseFieldName(name);
    if (this.exact.has(n)) return true;
    if (n.endsWith(TOKEN_SUFFIX)) return true;
    for (const c of CONTAINED) if (n.includes(c)) return true;
    return false;
  }

  /** Redacts secrets inside free text and bounds its length. */
  redactString(input: string, keepNewlines = false): string {
    let s = input.length > this.maxStringLength ? `${input.slice(0, this.maxStringLength)}…[truncated]` : input;
    if (this.enabled && s.length >= 8 && MAYBE_SECRET.test(s))
      s = s.replace(VALUE_PATTERN, this.redactOwnKeys ? replaceValue : keepOwnKeys);
    if (this.stripNewlines && !keepNewlines) s = s.replace(CONTROL_NEWLINES, ' ');
    // PostgreSQL text and jsonb refuse NUL and lone surrogates; a record must never fail on them.
    if (UNSTORABLE.test(s)) s = s.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\ufffd');
    return s;
  }

  /** A redacted, JSON-clean deep copy. */
  redact(value: unknown): unknown {
    const state: WalkState = { nodes: 0, ancestors: [] };
    return this.walk(value, 0, state);
  }

  private walk(value: unknown, depth: number, state: WalkState): unknown {
    if (++state.nodes > this.maxNodes) return '[TRUNCATED]';
    switch (typeof value) {
      case 'string':
        return this.redactString(value);
      case 'number':
        if (!Number.isFinite(value)) return null;
        // A card number sent as a JSON number is as sensitive as one sent as a string.
        if (this.enabled && Number.isInteger(value) && value >= 1e12) {
          const s = String(value);
          const masked = maskCard(s);
          return masked === s ? value : masked;
        }
        return value;
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'object':
        break;
      default:
        return undefined;
    }
    if (value === null) return null;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[BINARY ${value.byteLength} bytes]`;
    if (state.ancestors.includes(value)) return '[CIRCULAR]';
    if (depth >= this.maxDepth) return '[TRUNCATED_DEPTH]';
    state.ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        const out: unknown[] = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const v = this.walk(value[i], depth + 1, state);
          out[i] = v === undefined ? null : v;
        }
        return out;
      }
      if (value instanceof Error) return this.walkError(value, depth, state);
      if (value instanceof Map) return this.walk(Object.fromEntries(value), depth, state);
      const json = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof json === 'function') return this.walk(json.call(value), depth + 1, state);
      const out: Record<string, unknown> = {};
      const keys = Object.keys(value);
      for (let i = 1; this.sortKeys && i < keys.length; i++) {
        if (keys[i - 1] > keys[i]) {
          keys.sort();
          break;
        }
      }
      for (const key of keys) {
        const raw = (value as Record<string, unknown>)[key];
        if (this.isSecretField(key)) {
          if (raw !== undefined) setField(out, key, REDACTED);
          continue;
        }
        const v = this.walk(raw, depth + 1, state);
        if (v !== undefined) setField(out, key, v);
      }
      return out;
    } finally {
      state.ancestors.pop();
    }
  }

  /** Errors keep the shape pino's serializer gives them; message and stack are redacted like any text. */
  private walkError(err: Error, depth: number, state: WalkState): unknown {
    const out: Record<string, unknown> = {
      type: err.constructor?.name ?? err.name,
      message: this.redactString(err.message),
    };
    // A stack trace is multi-line by nature and is JSON-escaped in the log line, so it keeps its newlines.
    if (err.stack) out.stack = this.redactString(err.stack, true);
    for (const key of Object.keys(err)) {
      const raw = (err as unknown as Record<string, unknown>)[key];
      setField(out, key, this.isSecretField(key) ? REDACTED : this.walk(raw, depth + 1, state));
    }
    if (err.cause !== undefined) out.cause = this.walk(err.cause, depth + 1, state);
    return out;
  }
}
