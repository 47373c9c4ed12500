import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { AppConfig } from '../config/app.config';
import { EngineGuardErrorCode, EngineGuardException } from './engine-guard.exception';
import { SERVICE_ROUTE } from './engine-guard.metrics';
import { EngineGuardService } from './engine-guard.service';
import { EngineGuardSettings } from './engine-guard.settings';

function counter() {
  return { inc: jest.fn() };
}

function setup(env: Record<string, string> = {}) {
  const config = AppConfig.withOverrides({ NODE_ENV: 'test', ...env });
  const settings = new EngineGuardSettings(config);
  const logger = { warn: jest.fn() };
  const [bad, events, limits] = [counter(), counter(), counter()];
  const service = new EngineGuardService(
    settings,
    config,
    logger as unknown as Logger,
    bad as unknown as Counter<string>,
    events as unknown as Counter<string>,
    limits as unknown as Counter<string>,
  );
  return { service, settings, logger, bad, events, limits };
}

describe(EngineGuardService.name, () => {
  it('sanitises for callers outside the interceptor, with metrics under the service route and one warn line', () => {
    const { service, logger, bad, events } = setup();
    const out = service.sanitize({ a: Number.NaN, b: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY] });
    expect(out).toEqual({ a: null, b: [null, null] });
    expect(bad.inc).toHaveBeenCalledWith({ route: SERVICE_ROUTE, kind: 'nan' }, 1);
    expect(bad.inc).toHaveBeenCalledWith({ route: SERVICE_ROUTE, kind: 'inf' }, 2);
    expect(events.inc).toHaveBeenCalledWith({ route: SERVICE_ROUTE });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toMatchObject({ sanitized: 3, paths: ['$.a', '$.b[0]', '$.b[1]'] });
    expect(service.getTotals()).toEqual({ valuesSanitized: 3, responsesSanitized: 1, limitExceeded: 0 });
  });

  it('records nothing for a clean value and returns it as is', () => {
    const { service, logger, events } = setup();
    const clean = { a: 1 };
    expect(service.sanitize(clean)).toBe(clean);
    expect(events.inc).not.toHaveBeenCalled();
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('sanitises even with the guard switched off, since the caller asked', () => {
    const { service } = setup({ ENGINE_GUARD_ENABLED: 'false' });
    expect(service.enabled).toBe(false);
    expect(service.sanitize([Number.NaN])).toEqual([null]);
  });

  it('follows the mode changed at runtime', () => {
    const { service, settings } = setup();
    settings.update({ guardMode: 'string' });
    expect(service.sanitize({ x: Number.NEGATIVE_INFINITY })).toEqual({ x: '-Infinity' });
    settings.update({ guardMode: 'error' });
    let thrown: unknown;
    try {
      service.sanitize({ x: Number.NaN }, '/r');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(EngineGuardException);
    expect(thrown).toMatchObject({ code: EngineGuardErrorCode.NonFiniteResponse, paths: ['$.x'] });
  });

  it('counts responses that hit a limit', () => {
    const { service, limits } = setup({ ENGINE_GUARD_MAX_NODES: '10' });
    const out = service.sanitize(
      Array.from({ length: 50 }, () => Number.NaN),
      '/wide',
    );
    expect(out.every((v) => v === null)).toBe(true);
    expect(limits.inc).toHaveBeenCalledWith({ route: '/wide', limit: 'nodes' });
    expect(service.getTotals().limitExceeded).toBe(1);
  });
});
