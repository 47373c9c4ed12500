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
];

/** Distinct (action, outcome) pairs whose counter child is kept; actions are a small vocabulary. */
const EVENT_CHILD_LIMIT = 1_000;

@Injectable()
export class AuditMetrics {
  /** Counter children by "action outcome": labels are hashed once per pair, not on every record. */
  private readonly eventChildren = new Map<string, { inc(): void }>();

  constructor(
    @InjectMetric('audit_events_total') private readonly events: Counter<string>,
    @InjectMetric('audit_backlog_size') private readonly backlogGauge: Gauge<string>,
    @InjectMetric('audit_queue_age_seconds') private readonly ageGauge: Gauge<string>,
    @InjectMetric('audit_dlq_size') private readonly dlqGauge: Gauge<string>,
    @InjectMetric('audit_write_duration_seconds') private readonly writeDuration: Histogram<string>,
    @InjectMetric('audit_batches_total') private readonly batches: Counter<string>,
    @InjectMetric('audit_dropped_total') private readonly dropped: Counter<string>,
  ) {}

  event(action: string, outcome: string): void {
    const key = `${action} ${outcome}`;
    let child = this.eventChildren.get(key);
    if (!child) {
      if (this.eventChildren.size >= EVENT_CHILD_LIMIT) this.eventChildren.clear();
      child = this.events.labels({ action, outcome });
      this.eventChildren.set(key, child);
    }
    child.inc();
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
}
