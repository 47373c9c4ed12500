import {
  currentContext,
  currentCorrelationId,
  resolveCorrelationId,
  runWithContext,
  type Principal,
} from './request-context';

/** Generated ids are UUIDv7: version nibble 7, RFC 4122 variant. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(resolveCorrelationId.name, () => {
  it.each(['abc', 'req-123', 'a1b2c3', '7f9c2ba4-e88f-4a8a-9c1e-2f5a8d1b3c4d', 'trace:span.1_2', 'x'.repeat(128)])(
    'keeps the sane id %p',
    (id) => {
      expect(resolveCorrelationId(id)).toBe(id);
    },
  );

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['longer than 128 chars', 'x'.repeat(129)],
    ['a line feed', 'abc\ninjected'],
    ['a trailing line feed', 'abc\n'],
    ['a carriage return', 'abc\r\nX-Evil: 1'],
    ['spaces', 'abc def'],
    ['a comma-joined duplicate', 'abc, def'],
    ['a leading punctuation mark', '-abc'],
    ['non-ASCII', 'ïd'],
    ['JSON', '{"a":1}'],
  ])('replaces an id that is %s with a fresh UUID', (_label, header) => {
    expect(resolveCorrelationId(header)).toMatch(UUID);
  });

  it('replaces a repeated header (an array) with a fresh UUID', () => {
    expect(resolveCorrelationId(['abc', 'abc'])).toMatch(UUID);
    expect(resolveCorrelationId(['abc'])).toMatch(UUID);
  });

  it('generates a different id each time', () => {
    expect(resolveCorrelationId(undefined)).not.toBe(resolveCorrelationId(undefined));
  });
});

describe(runWithContext.name, () => {
  it('exposes the correlation id to everything awaited inside, and nothing outside', async () => {
    expect(currentCorrelationId()).toBeUndefined();
    const seen = await runWithContext({ correlationId: 'outer-1' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      const nested = await Promise.all([
        Promise.resolve().then(() => currentCorrelationId()),
        runWithContext({ correlationId: 'inner-2' }, async () => currentCorrelationId()),
      ]);
      return [currentCorrelationId(), ...nested];
    });
    expect(seen).toEqual(['outer-1', 'outer-1', 'inner-2']);
    expect(currentContext()).toBeUndefined();
  });

  it('keeps concurrent contexts apart', async () => {
    const run = (id: string, delayMs: number) =>
      runWithContext({ correlationId: id }, async () => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return currentCorrelationId();
      });
    await expect(Promise.all([run('a', 5), run('b', 0), run('c', 2)])).resolves.toEqual(['a', 'b', 'c']);
  });

  it('lets the principal be attached to the running context', () => {
    const principal: Principal = { keyId: 'k', role: 'client', tenantId: 't', name: 'n' };
    runWithContext({ correlationId: 'p-1' }, () => {
      currentContext()!.principal = principal;
      expect(currentContext()).toEqual({ correlationId: 'p-1', principal });
    });
  });
});
