import { Injectable } from '@nestjs/common';
import { simulateOutcomes, type Percentiles } from './monte-carlo';
import { xirr, type XirrStatus } from './xirr';

export interface CalcInput {
  /** Days since the Unix epoch (UTC) and signed amounts: contributions negative, distributions positive. */
  flows: ReadonlyArray<{ day: number; amount: number }>;
  residualValue: number;
  /** Day the residual is valued at; it enters the IRR as a final positive flow. */
  valuationDay: number;
  volatility: number;
  expectedReturn: number;
  horizonYears: number;
  simulations: number;
  seed: number;
}

export interface CalcResult {
  irr: number;
  irrStatus: XirrStatus;
  moic: number;
  tvpi: number;
  dpi: number;
  paidIn: number;
  distributed: number;
  residualValue: number;
  percentiles: Percentiles;
  simulations: number;
  seed: number;
}

/**
 * The guarded workload: fund metrics from dated cash flows. Pure numerical code with no framework
 * concerns; degenerate but valid inputs return NaN/Infinity as arithmetic gives them, because making
 * them safe for clients is the engine guard's job, not the engine's.
 */
@Injectable()
export class CalcEngine {
  async calculate(input: CalcInput): Promise<CalcResult> {
    let paidIn = 0;
    let distributed = 0;
    for (const f of input.flows) {
      if (f.amount < 0) paidIn -= f.amount;
      else distributed += f.amount;
    }
    const irrFlows =
      input.residualValue > 0
        ? [...input.flows, { day: input.valuationDay, amount: input.residualValue }]
        : input.flows;
    const irr = xirr(irrFlows);
    const totalValue = distributed + input.residualValue;
    const percentiles = await simulateOutcomes(
      {
        distributed,
        paidIn,
        residual: input.residualValue,
        expectedReturn: input.expectedReturn,
        volatility: input.volatility,
        horizonYears: input.horizonYears,
      },
      input.simulations,
      input.seed,
    );
    return {
      irr: irr.rate,
      irrStatus: irr.status,
      // Gross and net coincide for a single fund's own flows: MOIC and TVPI are the same ratio here.
      moic: totalValue / paidIn,
      tvpi: totalValue / paidIn,
      dpi: distributed / paidIn,
      paidIn,
      distributed,
      residualValue: input.residualValue,
      percentiles,
      simulations: input.simulations,
      seed: input.seed,
    };
  }
}
