import { loadEnv, ConfigValidationError } from './config.loader';

describe('loadEnv', () => {
  it('applies defaults', () => {
    expect(loadEnv({}).PORT).toBe(3000);
  });
});
