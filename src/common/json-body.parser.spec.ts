import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-body.parser';

function nestedObjects(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function nestedArrays(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe(jsonDepthExceeds.name, () => {
  it('counts scalars as depth 0 and never flags them', () => {
    for (const scalar of [null, 1, 'x', true]) expect(jsonDepthExceeds(scalar, 0)).toBe(false);
  });

  it('counts each object or array level as one', () => {
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds(nestedObjects(3), 3)).toBe(false);
    expect(jsonDepthExceeds(nestedObjects(3), 2)).toBe(true);
    expect(jsonDepthExceeds(nestedArrays(5), 5)).toBe(false);
    expect(jsonDepthExceeds(nestedArrays(5), 4)).toBe(true);
  });

  it('accepts exactly MAX_JSON_DEPTH levels and flags one more', () => {
    expect(jsonDepthExceeds(nestedObjects(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nestedObjects(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('finds a deep branch among shallow siblings, in objects and arrays alike', () => {
    const value = { wide: Array.from({ length: 100 }, (_, i) => ({ i })), deep: [{ x: nestedArrays(10) }] };
    // root object, the `deep` array, its object, then ten arrays
    expect(jsonDepthExceeds(value, 13)).toBe(false);
    expect(jsonDepthExceeds(value, 12)).toBe(true);
  });

  it('walks hostile nesting without overflowing the stack', () => {
    const hostile = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(jsonDepthExceeds(hostile, MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(nestedObjects(200_000), 200_000)).toBe(false);
  });
});
