import { Injectable } from '@nestjs/common';
import { EngineGuardSettings } from './engine-guard.settings';
import { withFaults, type FaultKind, type InjectedFault } from './fault-injector';

export interface FaultTotals {
  calls: number;
  faultsInjected: number;
  faultsByKind: Record<FaultKind, number>;
}

/**
 * Puts the fault injector between callers and an engine, following the runtime settings: while faults are
 * active every method call goes through `withFaults`, rebuilt (generator reset to the seed) whenever the
 * settings change, so a run after an admin update is reproducible from that seed.
 */
@Injectable()
export class EngineFaultsService {
  private readonly totals: FaultTotals = {
    calls: 0,
    faultsInjected: 0,
    faultsByKind: { nan: 0, inf: 0, neg_inf: 0, extreme_pos: 0, extreme_neg: 0 },
  };
  private readonly faulty = new WeakMap<object, { version: number; engine: object }>();

  constructor(private readonly settings: EngineGuardSettings) {}

  getTotals(): FaultTotals {
    return { ...this.totals, faultsByKind: { ...this.totals.faultsByKind } };
  }

  /** The engine callers should use now: `engine` itself, or its fault-injecting wrapper. Counts the call. */
  current<T extends object>(engine: T): T {
    this.totals.calls++;
    if (!this.settings.faultsActive) return engine;
    const version = this.settings.version;
    const cached = this.faulty.get(engine);
    if (cached?.version === version) return cached.engine as T;
    const s = this.settings.snapshot();
    const wrapped = withFaults(engine, {
      rate: s.faultRate,
      seed: s.faultSeed,
      targetKeys: s.faultTargetKeys,
      onFault: (f) => this.count(f),
    });
    this.faulty.set(engine, { version, engine: wrapped });
    return wrapped;
  }

  private count(fault: InjectedFault): void {
    this.totals.faultsInjected++;
    this.totals.faultsByKind[fault.kind]++;
  }
}
