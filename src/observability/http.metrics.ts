import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

type Observer = { observe(value: number): void };

export const HTTP_DURATION_METRIC = 'http_request_duration_seconds';

/** Label for requests no route matched: one value, so scanners cannot blow up label cardinality. */
export const UNMATCHED_ROUTE = '__unmatched__';

@Injectable()
export class HttpMetrics {
  /**
   * Label sets are bounded (route templates x methods x status codes), so each one's child is looked up
   * once and kept: prom-client otherwise hashes the label object on every observation.
   */
  private readonly children = new Map<string, Observer>();

  constructor(@InjectMetric(HTTP_DURATION_METRIC) private readonly duration: Histogram<string>) {}

  observe(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    const routeLabel = route ?? UNMATCHED_ROUTE;
    const key = `${method} ${statusCode} ${routeLabel}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.duration.labels({ method, route: routeLabel, status_code: String(statusCode) });
      this.children.set(key, child);
    }
    child.observe(seconds);
  }
}
