import { extractCredential, generateApiKey, hashApiKey } from './api-key.format';

const KEY_SHAPE = /^bwk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;

describe(generateApiKey.name, () => {
  it('produces bwk_<8 id chars>_<43 secret chars> keys whose prefix is the visible id', () => {
    const key = generateApiKey();
    expect(key.secret).toMatch(KEY_SHAPE);
    expect(key.prefix).toMatch(/^bwk_[A-Za-z0-9_-]{8}$/);
    expect(key.secret.startsWith(`${key.prefix}_`)).toBe(true);
  });

  it('stores the SHA-256 of the secret, never the secret', () => {
    const key = generateApiKey();
    expect(key.hash).toEqual(hashApiKey(key.secret));
    expect(key.hash).toHaveLength(32);
    expect(key.hash.toString('utf8')).not.toContain(key.secret);
  });

  it('carries 256 bits of fresh randomness per key', () => {
    const keys = Array.from({ length: 500 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.secret)).size).toBe(500);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(500);
    const randomPart = Buffer.from(keys[0].secret.slice(keys[0].prefix.length + 1), 'base64url');
    expect(randomPart).toHaveLength(32);
    // Every base64url symbol appears across 500 random parts; a constant or low-entropy source would not.
    const symbols = new Set(keys.flatMap((k) => [...k.secret.slice(k.prefix.length + 1)]));
    expect(symbols.size).toBe(64);
  });
});

describe(hashApiKey.name, () => {
  it('is deterministic and matches a known SHA-256 vector', () => {
    expect(hashApiKey('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('abc')).toEqual(hashApiKey('abc'));
  });

  it('hashes UTF-8 so different secrets never collide by encoding', () => {
    expect(hashApiKey('é')).not.toEqual(hashApiKey('e'));
    expect(hashApiKey('é')).toEqual(hashApiKey('\u00e9'));
  });
});

describe(extractCredential.name, () => {
  const secret = 'bwk_AbCdEfGh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

  it('reports no credential when neither header is present', () => {
    expect(extractCredential({})).toEqual({ kind: 'none' });
    expect(extractCredential({ authorization: '' })).toEqual({ kind: 'none' });
  });

  it('reads X-API-Key, trimming whitespace', () => {
    expect(extractCredential({ 'x-api-key': `  ${secret} ` })).toEqual({ kind: 'present', secret });
  });

  it.each(['Bearer', 'bearer', 'BEARER'])('reads Authorization: %s <key>', (scheme) => {
    expect(extractCredential({ authorization: `${scheme} ${secret}` })).toEqual({ kind: 'present', secret });
    expect(extractCredential({ authorization: `${scheme}\t ${secret} ` })).toEqual({ kind: 'present', secret });
  });

  it('accepts the same key in both headers', () => {
    expect(extractCredential({ 'x-api-key': secret, authorization: `Bearer ${secret}` })).toEqual({
      kind: 'present',
      secret,
    });
  });

  it('refuses two different keys rather than picking one', () => {
    expect(extractCredential({ 'x-api-key': secret, authorization: 'Bearer other-key' })).toEqual({
      kind: 'ambiguous',
    });
  });

  it('refuses duplicated headers', () => {
    expect(extractCredential({ 'x-api-key': [secret, secret] })).toEqual({ kind: 'ambiguous' });
    expect(extractCredential({ authorization: [`Bearer ${secret}`, 'Bearer x'] })).toEqual({ kind: 'ambiguous' });
  });

  it('turns another Authorization scheme into a credential that cannot match any key', () => {
    const basic = `Basic ${Buffer.from(`user:${secret}`).toString('base64')}`;
    expect(extractCredential({ authorization: basic })).toEqual({ kind: 'present', secret: '' });
  });

  it.each(['Bearer', 'Bearer ', `Bearer ${secret} extra`, `Token ${secret}`])(
    'turns the malformed Authorization %p into an unusable credential',
    (authorization) => {
      expect(extractCredential({ authorization })).toEqual({ kind: 'present', secret: '' });
    },
  );

  it('uses X-API-Key when Authorization carries another scheme', () => {
    expect(extractCredential({ 'x-api-key': secret, authorization: 'Basic dXNlcjpwYXNz' })).toEqual({
      kind: 'present',
      secret,
    });
  });
});
