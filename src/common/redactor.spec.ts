import fc from 'fast-check';
import { luhnValid, REDACTED, Redactor } from './redactor';

const redactor = new Redactor({ extraFields: ['internal_note'] });

describe(Redactor.name, () => {
  describe('field names', () => {
    it.each([
      'password',
      'Password',
      'passwd',
      'secret',
      'token',
      'access_token',
      'refresh-token',
      'api_key',
      'apiKey',
      'APIKEY',
      'authorization',
      'Authorization',
      'cookie',
      'set-cookie',
      'Set-Cookie',
      'private_key',
      'client_secret',
      'ssn',
      'card_number',
      'cardNumber',
      'cvv',
      'pin',
      'x-api-key',
      'dbPassword',
      'csrfToken',
      'internal_note',
      'Internal-Note',
    ])('redacts the value of %s', (field) => {
      expect(redactor.redact({ [field]: 'v4lue-that-is-secret', other: 'kept' })).toEqual({
        [field]: REDACTED,
        other: 'kept',
      });
    });

    it('redacts whole objects and arrays under a secret field name', () => {
      expect(redactor.redact({ secret: { a: 1 }, password: ['x', 'y'] })).toEqual({
        secret: REDACTED,
        password: REDACTED,
      });
    });

    it.each(['max_tokens', 'tokens', 'spin', 'shipping', 'description', 'id', 'passenger', 'mapping'])(
      'leaves the ordinary field %s alone',
      (field) => {
        expect(redactor.redact({ [field]: 'plain' })).toEqual({ [field]: 'plain' });
      },
    );

    it('redacts nested objects and objects inside arrays', () => {
      const input = { user: { profile: { password: 'hunter22' } }, items: [{ token: 'abc' }, { name: 'ok' }] };
      expect(redactor.redact(input)).toEqual({
        user: { profile: { password: REDACTED } },
        items: [{ token: REDACTED }, { name: 'ok' }],
      });
    });
  });

  describe('values in free text', () => {
    const cases: Array<[string, string, string]> = [
      ['bearer token', 'header was Bearer abcDEF123456789.xyz', 'header was Bearer [REDACTED]'],
      ['basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [REDACTED]'],
      [
        'JWT',
        'jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
        'jwt=[REDACTED_JWT] end',
      ],
      [
        'PEM private key',
        'key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY----- done',
        'key: [REDACTED_PRIVATE_KEY] done',
      ],
      ['Stripe live key', 'use sk_live_4eC39HqLyjWDarjtT1zdp7dc now', 'use [REDACTED_KEY] now'],
      ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE', '[REDACTED_KEY]'],
      ['GitHub token', 'ghp_1234567890abcdefghijklmnopqrstuvwxyz12', '[REDACTED_KEY]'],
      ['Slack token', 'xoxb-123456789012-abcdefghijkl', '[REDACTED_KEY]'],
      ['Bulwark API key', 'bwk_Ab3dE5gH_q0JX0m4f0eYlQm3xR1G3n5cV0v2bC7sS8tT9uU1wW2y', '[REDACTED_KEY]'],
      [
        'connection string password',
        'postgres://app:s3cr3t!@db.internal:5432/prod',
        'postgres://app:[REDACTED]@db.internal:5432/prod',
      ],
      ['Luhn-valid card', 'card 4111 1111 1111 1111 charged', 'card ****-****-****-1111 charged'],
      ['Luhn-valid card with dashes', '5500-0000-0000-0004', '****-****-****-0004'],
      ['Amex', '378282246310005', '****-****-****-0005'],
      ['US SSN', 'ssn is 123-45-6789.', 'ssn is ***-**-6789.'],
      ['email', 'contact john.doe@example.com please', 'contact joh***@example.com please'],
    ];
    it.each(cases)('redacts a %s', (_name, input, expected) => {
      expect(redactor.redactString(input)).toBe(expected);
      expect(redactor.redact({ note: input })).toEqual({ note: expected });
    });

    it('redacts card numbers sent as JSON numbers', () => {
      expect(redactor.redact({ n: 4111111111111111 })).toEqual({ n: '****-****-****-1111' });
    });

    it('redacts several secrets in one string', () => {
      expect(redactor.redactString('a@b.io paid with 4242424242424242 ssn 078-05-1120')).toBe(
        'a***@b.io paid with ****-****-****-4242 ssn ***-**-1120',
      );
    });
  });

  describe('false positives', () => {
    it.each([
      ['card-length number failing Luhn', '4111 1111 1111 1112'],
      ['order id failing Luhn', 'order 1234567812345678'],
      ['ISO date', '2024-01-15'],
      ['ISO timestamp', '2024-01-15T10:20:30.123Z'],
      ['UUID', '3f2504e0-4f89-11d3-9a0c-0305e82c3301'],
      ['phone number', '+1 (555) 123-4567'],
      ['version', 'v10.12.1234'],
      ['invalid SSN area', '000-12-3456'],
      ['short digits', 'room 12345'],
      ['URL without password', 'https://example.com/path?q=1'],
      ['amount', '1234567.89'],
      ['the word token', 'the token bucket refilled'],
    ])('leaves a %s alone', (_name, input) => {
      expect(redactor.redactString(input)).toBe(input);
    });

    it('leaves ordinary numbers alone', () => {
      expect(redactor.redact({ amount: 1234567.89, count: 42, big: 1234567812345678 })).toEqual({
        amount: 1234567.89,
        count: 42,
        big: 1234567812345678,
      });
    });
  });

  describe('safety', () => {
    it('keeps a field named __proto__ as a field of the copy, without changing its prototype', () => {
      const input = JSON.parse('{"__proto__":{"isAdmin":true,"password":"x"},"a":1}') as Record<string, unknown>;
      const out = redactor.redact(input) as Record<string, unknown>;
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(out.isAdmin).toBeUndefined();
      expect(JSON.stringify(out)).toBe('{"__proto__":{"isAdmin":true,"password":"[REDACTED]"},"a":1}');
    });

    it('never mutates its input', () => {
      const input = { password: 'x', nested: { email: 'jane@example.com' }, list: [{ token: 't' }] };
      const copy = structuredClone(input);
      redactor.redact(input);
      expect(input).toEqual(copy);
    });

    it('is cycle-safe', () => {
      const a: Record<string, unknown> = { name: 'a' };
      a.self = a;
      expect(redactor.redact(a)).toEqual({ name: 'a', self: '[CIRCULAR]' });
    });

    it('keeps repeated (non-cyclic) references', () => {
      const shared = { x: 1 };
      expect(redactor.redact({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
    });

    it('limits depth, node count and string length', () => {
      const deep: Record<string, unknown> = {};
      let cur = deep;
      for (let i = 0; i < 50; i++) cur = cur.next = {};
      expect(JSON.stringify(new Redactor({ maxDepth: 3 }).redact(deep))).toBe(
        '{"next":{"next":{"next":"[TRUNCATED_DEPTH]"}}}',
      );
      const wide = Array.from({ length: 100 }, (_, i) => i);
      expect(
        (new Redactor({ maxNodes: 10 }).redact(wide) as unknown[]).filter((v) => v === '[TRUNCATED]'),
      ).toHaveLength(91);
      expect(new Redactor({ maxStringLength: 5 }).redactString('abcdefghij')).toBe('abcde…[truncated]');
    });

    it('strips CR/LF when configured for logs', () => {
      const logs = new Redactor({ stripNewlines: true });
      expect(logs.redactString('ok\r\n{"level":"fatal","msg":"forged"}')).toBe('ok {"level":"fatal","msg":"forged"}');
    });

    it('returns JSON-clean data', () => {
      const out = redactor.redact({
        d: new Date('2024-01-01T00:00:00Z'),
        n: NaN,
        u: undefined,
        b: 10n,
        buf: Buffer.from('abc'),
        arr: [undefined, () => 1],
        s: 'nul\u0000 and lone \ud800',
      });
      expect(out).toEqual({
        d: '2024-01-01T00:00:00.000Z',
        n: null,
        b: '10',
        buf: '[BINARY 3 bytes]',
        arr: [null, null],
        s: 'nul and lone \ufffd',
      });
    });

    it('is the identity on JSON data when disabled', () => {
      const off = new Redactor({ enabled: false });
      fc.assert(
        fc.property(
          // NUL and lone surrogates are removed even when disabled: PostgreSQL cannot store them.
          fc.jsonValue({ maxDepth: 4 }).filter((v) => !/\\u0000|\\ud[89a-f]/i.test(JSON.stringify(v))),
          (v) => {
            const clean = JSON.parse(JSON.stringify(v)) as unknown;
            expect(off.redact(clean)).toEqual(clean);
          },
        ),
      );
    });

    it('never throws and always returns JSON-serialisable data', () => {
      fc.assert(
        fc.property(fc.anything(), (v) => {
          const out = redactor.redact(v);
          expect(() => JSON.stringify(out)).not.toThrow();
        }),
      );
    });
  });

  it('implements the Luhn check', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});

describe('Redactor options', () => {
  it('can leave Bulwark keys in text for the logger while masking every other key shape', () => {
    const logs = new Redactor({ redactOwnKeys: false });
    const key = 'bwk_Ab3dE5gH_q0JX0m4f0eYlQm3xR1G3n5cV0v2bC7sS8tT9uU1wW2y';
    expect(logs.redactString(`generated ${key}; also AKIAIOSFODNN7EXAMPLE`)).toBe(
      `generated ${key}; also [REDACTED_KEY]`,
    );
    expect(logs.redact({ apiKey: key })).toEqual({ apiKey: REDACTED });
  });
});
