import { bool, int, list, num, oneOf, optionalStr, optionalUrl, str, trustProxy, type Parsed } from './env.fields';

const doc = { doc: 'test field' };

function value<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected a value, got error: ${result.error}`);
  return result.value;
}

function error(result: Parsed<unknown>): string {
  if (result.ok) throw new Error(`expected an error, got value ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('env fields', () => {
  describe(int.name, () => {
    const port = int(3000, { ...doc, min: 0, max: 65535 });

    it('uses the default when the variable is unset or empty', () => {
      expect(value(port.parse(undefined))).toBe(3000);
      expect(value(port.parse(''))).toBe(3000);
      expect(port.default).toBe('3000');
    });

    it('parses integers, trimming surrounding whitespace', () => {
      expect(value(port.parse('8080'))).toBe(8080);
      expect(value(port.parse('  42 '))).toBe(42);
      expect(value(port.parse('0'))).toBe(0);
    });

    it.each(['3.5', '1e3', 'abc', '0x10', '12abc', '   '])('rejects the non-integer %p', (raw) => {
      expect(error(port.parse(raw))).toMatch(/must be an integer/);
    });

    it('enforces the bounds inclusively', () => {
      expect(value(port.parse('65535'))).toBe(65535);
      expect(error(port.parse('65536'))).toBe('must be <= 65535, got 65536');
      expect(error(port.parse('-1'))).toBe('must be >= 0, got -1');
    });
  });

  describe(num.name, () => {
    const rate = num(0, { ...doc, min: 0, max: 1 });

    it('parses finite decimals within bounds', () => {
      expect(value(rate.parse('0.25'))).toBe(0.25);
      expect(value(rate.parse('1'))).toBe(1);
      expect(value(rate.parse(undefined))).toBe(0);
    });

    it.each(['NaN', 'Infinity', '-Infinity', 'abc', '1/2'])('rejects the non-finite %p', (raw) => {
      expect(error(rate.parse(raw))).toMatch(/must be a finite number/);
    });

    it('enforces the bounds', () => {
      expect(error(rate.parse('1.5'))).toBe('must be <= 1, got 1.5');
      expect(error(rate.parse('-0.1'))).toBe('must be >= 0, got -0.1');
    });
  });

  describe(bool.name, () => {
    const flag = bool(true, doc);

    it.each(['true', 'TRUE', '1', 'yes', 'On'])('reads %p as true', (raw) => {
      expect(value(bool(false, doc).parse(raw))).toBe(true);
    });

    it.each(['false', 'False', '0', 'no', 'OFF'])('reads %p as false', (raw) => {
      expect(value(flag.parse(raw))).toBe(false);
    });

    it('falls back to the default when unset', () => {
      expect(value(flag.parse(undefined))).toBe(true);
      expect(value(bool(false, doc).parse(''))).toBe(false);
    });

    it.each(['y', 'enabled', '2', 'tru'])('rejects the ambiguous %p', (raw) => {
      expect(error(flag.parse(raw))).toContain('must be a boolean');
    });
  });

  describe(oneOf.name, () => {
    const env = oneOf(['development', 'test', 'production'], 'development', doc);

    it('accepts listed values and defaults when unset', () => {
      expect(value(env.parse('production'))).toBe('production');
      expect(value(env.parse(undefined))).toBe('development');
    });

    it('rejects values outside the list, case-sensitively, naming the choices', () => {
      expect(error(env.parse('Production'))).toBe('must be one of development|test|production, got "Production"');
      expect(error(env.parse('staging'))).toContain('development|test|production');
    });
  });

  describe(str.name, () => {
    const name = str('bulwark', { ...doc, maxLength: 5, pattern: /^[a-z]+$/ });

    it('enforces maximum length and pattern', () => {
      expect(value(name.parse('abc'))).toBe('abc');
      expect(error(name.parse('abcdef'))).toBe('must be at most 5 chars');
      expect(error(name.parse('AB'))).toMatch(/^must match/);
    });
  });

  describe(optionalStr.name, () => {
    const key = optionalStr({ ...doc, minLength: 32, pattern: /^[\x21-\x7e]+$/, secret: true });

    it('is undefined when unset or empty', () => {
      expect(value(key.parse(undefined))).toBeUndefined();
      expect(value(key.parse(''))).toBeUndefined();
    });

    it('enforces minimum length and pattern without quoting the value', () => {
      const short = error(key.parse('short-secret'));
      expect(short).toBe('must be at least 32 chars');
      const spaced = error(key.parse('a'.repeat(20) + ' ' + 'b'.repeat(20)));
      expect(spaced).toMatch(/^must match/);
      expect(spaced).not.toContain('aaaa');
    });

    it('is marked secret when declared so', () => {
      expect(key.secret).toBe(true);
      expect(str('x', doc).secret).toBe(false);
    });
  });

  describe(optionalUrl.name, () => {
    const url = optionalUrl(['postgres:', 'postgresql:'], doc);

    it('accepts URLs with an allowed protocol', () => {
      expect(value(url.parse('postgres://u:p@db:5432/app'))).toBe('postgres://u:p@db:5432/app');
      expect(value(url.parse('postgresql://db/app'))).toBe('postgresql://db/app');
      expect(value(url.parse(undefined))).toBeUndefined();
    });

    it('rejects other protocols and non-URLs without echoing them', () => {
      expect(error(url.parse('mysql://u:hunter2@db/app'))).toBe('must use postgres: or postgresql:, got mysql:');
      expect(error(url.parse('not a url hunter2'))).toBe('must be a valid URL');
    });
  });

  describe(list.name, () => {
    const keys = list('a,b', { ...doc, item: /^[a-z.]+$/ });

    it('splits on commas, trims, and drops empty entries', () => {
      expect(value(keys.parse(' x , y.z ,, '))).toEqual(['x', 'y.z']);
      expect(value(keys.parse(undefined))).toEqual(['a', 'b']);
    });

    it('lists every invalid entry', () => {
      expect(error(keys.parse('ok,B4D,also ok,x'))).toBe('has invalid entries: B4D, also ok');
    });

    it('yields an empty list for an empty default', () => {
      expect(value(list('', doc).parse(undefined))).toEqual([]);
    });
  });

  describe(trustProxy.name, () => {
    const proxy = trustProxy(doc);

    it('defaults to false', () => {
      expect(value(proxy.parse(undefined))).toBe(false);
    });

    it('reads booleans, with "1" meaning one hop rather than true', () => {
      expect(value(proxy.parse('true'))).toBe(true);
      expect(value(proxy.parse('off'))).toBe(false);
      expect(value(proxy.parse('1'))).toBe(1);
      expect(value(proxy.parse('3'))).toBe(3);
    });

    it('reads a list of addresses, CIDRs and named ranges', () => {
      expect(value(proxy.parse('10.0.0.0/8, 127.0.0.1,::1,loopback'))).toEqual([
        '10.0.0.0/8',
        '127.0.0.1',
        '::1',
        'loopback',
      ]);
    });

    it('rejects entries that are not addresses', () => {
      expect(error(proxy.parse('10.0.0.1,evil.example.com'))).toBe('has invalid entries: evil.example.com');
    });
  });
});
