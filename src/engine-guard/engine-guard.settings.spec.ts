import { AppConfig } from '../config/app.config';
import { EngineGuardException } from './engine-guard.exception';
import { EngineGuardSettings } from './engine-guard.settings';

const settings = (env: Record<string, string>) => new EngineGuardSettings(AppConfig.withOverrides(env));

describe(EngineGuardSettings.name, () => {
  it('activates faults in test with a rate alone, elsewhere only with the enable flag', () => {
    expect(settings({ NODE_ENV: 'test', ENGINE_FAULT_RATE: '0.5' }).faultsActive).toBe(true);
    expect(settings({ NODE_ENV: 'test', ENGINE_FAULT_RATE: '0' }).faultsActive).toBe(false);
    expect(settings({ NODE_ENV: 'development', ENGINE_FAULT_RATE: '0.5' }).faultsActive).toBe(false);
    expect(
      settings({ NODE_ENV: 'development', ENGINE_FAULT_RATE: '0.5', ENGINE_FAULT_ENABLE: 'true' }).faultsActive,
    ).toBe(true);
  });

  it('returns before and after, ignores undefined fields and bumps the version', () => {
    const s = settings({ NODE_ENV: 'development' });
    const v = s.version;
    const { before, after } = s.update({ faultRate: 0.2, faultSeed: undefined });
    expect(before.faultRate).toBe(0);
    expect(after).toEqual({ ...before, faultRate: 0.2 });
    expect(s.version).toBe(v + 1);
  });

  it('refuses any change in production', () => {
    const s = settings({
      NODE_ENV: 'production',
      ALLOW_PGLITE_IN_PRODUCTION: 'true',
      ADMIN_API_KEY: 'x'.repeat(40),
      DATABASE_URL: '',
    });
    expect(() => s.update({ faultEnabled: true, faultRate: 1 })).toThrow(EngineGuardException);
    expect(s.faultsActive).toBe(false);
    expect(s.snapshot().faultRate).toBe(0);
  });
});
