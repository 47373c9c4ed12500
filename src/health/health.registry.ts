import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

export interface RegisteredIndicator {
  /** Key in the health report, e.g. `audit_writer`. */
  name: string;
  /** Whether a `down` result should take the instance out of load balancing (GET /health/ready). */
  readiness: boolean;
  check(): Promise<HealthIndicatorResult> | HealthIndicatorResult;
}

/**
 * Where modules register their health indicators (in `onModuleInit`). `/health` reports all of them;
 * `/health/ready` only those that mark themselves as readiness checks.
 */
@Injectable()
export class HealthRegistry {
  private readonly indicators = new Map<string, RegisteredIndicator>();

  register(indicator: RegisteredIndicator): void {
    if (this.indicators.has(indicator.name)) throw new Error(`health indicator ${indicator.name} registered twice`);
    this.indicators.set(indicator.name, indicator);
  }

  all(): RegisteredIndicator[] {
    return [...this.indicators.values()];
  }

  readiness(): RegisteredIndicator[] {
    return this.all().filter((i) => i.readiness);
  }
}
