import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { EngineFaultsService } from '../engine-guard/engine-faults.service';
import { CalcEngine, type CalcResult } from './calc.engine';
import type { CalculateRequestDto } from './calc.dto';
import { CalcErrorCode, CalcException } from './calc.exception';

const MS_PER_DAY = 86_400_000;
const DEFAULT_SIMULATIONS = 10_000;

function toDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY;
}

/** Turns a validated request into engine input and runs it through whatever the fault settings dictate. */
@Injectable()
export class CalcService {
  constructor(
    private readonly engine: CalcEngine,
    private readonly faults: EngineFaultsService,
    private readonly config: AppConfig,
  ) {}

  calculate(dto: CalculateRequestDto): Promise<CalcResult> {
    const max = this.config.env.CALC_MAX_SIMULATIONS;
    const simulations = dto.simulations ?? Math.min(DEFAULT_SIMULATIONS, max);
    if (simulations > max)
      throw new CalcException(CalcErrorCode.InvalidInput, `At most ${max} simulations per request.`, [
        { field: 'simulations', message: `simulations must not be greater than ${max}` },
      ]);
    const flows = dto.cashFlows.map((f) => ({ day: toDay(f.date), amount: f.amount }));
    const lastDay = Math.max(...flows.map((f) => f.day));
    return this.faults.current(this.engine).calculate({
      flows,
      residualValue: dto.residualValue ?? 0,
      valuationDay: dto.valuationDate ? toDay(dto.valuationDate) : lastDay,
      volatility: dto.volatility ?? 0.2,
      expectedReturn: dto.expectedReturn ?? 0,
      horizonYears: dto.horizonYears ?? 1,
      simulations,
      seed: dto.seed ?? randomInt(0, 2 ** 32),
    });
  }
}
