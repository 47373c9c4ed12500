import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';

export const AUDIT_METRIC_PROVIDERS = [
  makeCounterProvider({
    name: 'audit_events_total',
    help: 'Audit records accepted, by action and outcome.',
    labelNames: ['action', 'outcome'],
  }),
  makeGaugeProvider({ name: 'audit_backlog_size', help: 'Audit records in memory not yet written.' }),
  makeGaugeProvider({
    name: 'audit_queue_age_seconds',
    help: 'Age of the oldest audit record not yet in the database (memory or spool).',
  }),
  makeGaugeProvider({ name: 'audit_dlq_size', help: 'Audit records in the on-disk spool awaiting replay.' }),
  makeHistogramProvider({
    name: 'audit_write_duration_seconds',
    help: 'Duration of one audit batch transaction.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  makeCounterProvider({
    name: 'audit_batches_total',
    help: 'Audit batch writes, by result (ok, error, replayed, spooled).',
    labelNames: ['result'],
  }),
  makeCounterProvider({
    name: 'audit_dropped_total',
    help: 'Audit records lost (memory bound hit while the spool was failing, or torn spool lines). Must stay 0.',
  }),
  makeCounterProvider({
    name: 'audit_quarantined_total',
    help: 'Audit records PostgreSQL refused for their content, set aside in the spool directory (quarantine.ndjson).',
  }),
];

/**
 * Records accepted, counted per (action, outcome) in plain maps and added to the Prometheus counter when it is
 * collected (a scrape): counting through prom-client hashes the label set on every increment, which showed in the
 * request path's profile. Actions and outcomes are small vocabularies.
 */
@Injectable()
export class AuditMetrics {
  private readonly pendingEvents = new Map<string, Map<string, { n: number }>>();

  constructor(
    @InjectMetric('audit_events_total') private readonly events: Counter<string>,
    @InjectMetric('audit_backlog_size') private readonly backlogGauge: Gauge<string>,
    @InjectMetric('audit_queue_age_seconds') private readonly ageGauge: Gauge<string>,
    @InjectMetric('audit_dlq_size') private readonly dlqGauge: Gauge<string>,
    @InjectMetric('audit_write_duration_seconds') private readonly writeDuration: Histogram<string>,
    @InjectMetric('audit_batches_total') private readonly batches: Counter<string>,
    @InjectMetric('audit_dropped_total') private readonly dropped: Counter<string>,
    @InjectMetric('audit_quarantined_total') private readonly quarantinedCounter: Counter<string>,
  ) {
    // prom-client calls collect() before it reads the counter, on every scrape.
    (events as unknown as { collect: () => void }).collect = () => this.flushEvents();
  }

  event(action: string, outcome: string): void {
    let byOutcome = this.pendingEvents.get(action);
    if (!byOutcome) this.pendingEvents.set(action, (byOutcome = new Map()));
    const count = byOutcome.get(outcome);
    if (count) count.n++;
    else byOutcome.set(outcome, { n: 1 });
  }

  /** Adds the counts since the last scrape to audit_events_total. */
  flushEvents(): void {
    for (const [action, byOutcome] of this.pendingEvents)
      for (const [outcome, count] of byOutcome) this.events.inc({ action, outcome }, count.n);
    this.pendingEvents.clear();
  }

  state(backlog: number, spooled: number, oldestAgeSeconds: number): void {
    this.backlogGauge.set(backlog);
    this.dlqGauge.set(spooled);
    this.ageGauge.set(oldestAgeSeconds);
  }

  batch(result: 'ok' | 'error' | 'replayed' | 'spooled', seconds?: number): void {
    this.batches.inc({ result });
    if (seconds !== undefined) this.writeDuration.observe(seconds);
  }

  drop(count: number): void {
    this.dropped.inc(count);
  }

  quarantined(count: number): void {
    this.quarantinedCounter.inc(count);
  }
}
