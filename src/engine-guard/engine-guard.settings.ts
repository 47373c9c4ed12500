import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { EngineGuardErrorCode, EngineGuardException } from './engine-guard.exception';

export type GuardMode = 'null' | 'string' | 'error';

export interface EngineSettings {
  guardEnabled: boolean;
  guardMode: GuardMode;
  faultEnabled: boolean;
  faultRate: number;
  faultSeed: number;
  faultTargetKeys: string[];
}

export type EngineSettingsPatch = Partial<EngineSettings>;

/**
 * The engine guard's runtime settings: start from the environment, changed at runtime by the engine admin
 * route. Every change bumps `version` so the fault injector restarts its generator from the seed.
 */
@Injectable()
export class EngineGuardSettings {
  private settings: EngineSettings;
  private revision = 0;

  constructor(private readonly config: AppConfig) {
    const e = config.env;
    this.settings = {
      guardEnabled: e.ENGINE_GUARD_ENABLED,
      guardMode: e.ENGINE_GUARD_MODE,
      faultEnabled: e.ENGINE_FAULT_ENABLE,
      faultRate: e.ENGINE_FAULT_RATE,
      faultSeed: e.ENGINE_FAULT_SEED,
      faultTargetKeys: [...e.ENGINE_FAULT_TARGET_KEYS],
    };
  }

  get version(): number {
    return this.revision;
  }

  /** The live settings, read-only; an update replaces the object, so holding it never sees a half change. */
  get current(): Readonly<EngineSettings> {
    return this.settings;
  }

  snapshot(): EngineSettings {
    return { ...this.settings, faultTargetKeys: [...this.settings.faultTargetKeys] };
  }

  /**
   * Faults are injected when the rate is positive and the enable flag is on; in NODE_ENV=test the flag is
   * not needed, and in production nothing turns them on (the loader already refuses such a start).
   */
  get faultsActive(): boolean {
    const s = this.settings;
    if (this.config.isProduction || s.faultRate <= 0) return false;
    return s.faultEnabled || this.config.isTest;
  }

  update(patch: EngineSettingsPatch): { before: EngineSettings; after: EngineSettings } {
    if (this.config.isProduction)
      throw new EngineGuardException(
        EngineGuardErrorCode.FaultInjectionForbidden,
        'Engine settings cannot be changed in production.',
      );
    const before = this.snapshot();
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    this.settings = { ...this.settings, ...defined };
    this.revision++;
    return { before, after: this.snapshot() };
  }
}
