import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { AppConfig } from '../config/app.config';
import { currentCorrelationId } from '../common/request-context';
import { ROOT_LOGGER } from '../observability/logger.factory';
import { EngineGuardErrorCode, EngineGuardException } from './engine-guard.exception';
import {
  GUARD_BAD_VALUES_METRIC,
  GUARD_EVENTS_METRIC,
  GUARD_LIMIT_METRIC,
  SERVICE_ROUTE,
} from './engine-guard.metrics';
import { EngineGuardSettings } from './engine-guard.settings';
import { NON_FINITE_KINDS } from './non-finite';
import { sanitizeValue, type ReplacementMode, type SanitizeReport } from './sanitize';

export interface GuardTotals {
  valuesSanitized: number;
  responsesSanitized: number;
  limitExceeded: number;
}

/**
 * Makes values safe to serialise: NaN and +/-Infinity become null (or their names, or a 500 in `error`
 * mode), with one warn line, metrics and running totals per fix. The interceptor uses it for every
 * response; code that writes responses itself (streams, SSE, exports) calls `sanitize`.
 */
@Injectable()
export class EngineGuardService {
  private readonly totals: GuardTotals = { valuesSanitized: 0, responsesSanitized: 0, limitExceeded: 0 };

  constructor(
    private readonly settings: EngineGuardSettings,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @InjectMetric(GUARD_BAD_VALUES_METRIC) private readonly badValues: Counter<string>,
    @InjectMetric(GUARD_EVENTS_METRIC) private readonly events: Counter<string>,
    @InjectMetric(GUARD_LIMIT_METRIC) private readonly limits: Counter<string>,
  ) {}

  get enabled(): boolean {
    return this.settings.current.guardEnabled;
  }

  getTotals(): GuardTotals {
    return { ...this.totals };
  }

  /**
   * Returns `value` with every non-finite number fixed per the current mode (the same reference when
   * nothing needed fixing). Throws EngineGuardException in `error` mode when something did. Always
   * sanitises, even with the guard switched off: a caller asking explicitly wants it.
   */
  sanitize<T>(value: T, route: string = SERVICE_ROUTE): T {
    return this.guard(value, route).value;
  }

  /** Same as sanitize, with the report (count, kinds, paths) for callers that set headers. */
  guard<T>(value: T, route: string): { value: T; report: SanitizeReport } {
    const s = this.settings.current;
    const mode: ReplacementMode = s.guardMode === 'string' ? 'string' : 'null';
    const result = sanitizeValue(value, {
      mode,
      maxDepth: this.config.env.ENGINE_GUARD_MAX_DEPTH,
      maxNodes: this.config.env.ENGINE_GUARD_MAX_NODES,
    });
    const { report } = result;
    if (report.limitExceeded) {
      this.totals.limitExceeded++;
      this.limits.inc({ route, limit: report.limitExceeded });
    }
    if (report.count === 0) return result;
    this.record(report, route);
    if (s.guardMode === 'error')
      throw new EngineGuardException(
        EngineGuardErrorCode.NonFiniteResponse,
        `The response held ${report.count} non-finite number(s) at: ${report.paths.join(', ')}.`,
        report.paths,
      );
    return result;
  }

  private record(report: SanitizeReport, route: string): void {
    this.totals.valuesSanitized += report.count;
    this.totals.responsesSanitized++;
    this.events.inc({ route });
    for (const kind of NON_FINITE_KINDS)
      if (report.kinds[kind]) this.badValues.inc({ route, kind }, report.kinds[kind]);
    this.logger.warn(
      {
        correlationId: currentCorrelationId(),
        route,
        sanitized: report.count,
        kinds: report.kinds,
        paths: report.paths,
        limitExceeded: report.limitExceeded ?? undefined,
        mode: this.settings.current.guardMode,
      },
      'engine guard fixed non-finite values in a response',
    );
  }
}
