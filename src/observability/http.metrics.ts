import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const HTTP_DURATION_METRIC = 'http_request_duration_seconds';

/** Label for requests no route matched: one value, so scanners cannot blow up label cardinality. */
export const UNMATCHED_ROUTE = '__unmatched__';

@Injectable()
export class HttpMetrics {
  constructor(@InjectMetric(HTTP_DURATION_METRIC) private readonly duration: Histogram<string>) {}

  observe(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.duration.observe({ method, route: route ?? UNMATCHED_ROUTE, status_code: String(statusCode) }, seconds);
  }
}
