import { makeCounterProvider } from '@willsoto/nestjs-prometheus';

export const GUARD_BAD_VALUES_METRIC = 'calc_guard_bad_values_total';
export const GUARD_EVENTS_METRIC = 'calc_guard_events_total';
export const GUARD_LIMIT_METRIC = 'calc_guard_limit_exceeded_total';

/** Label used when sanitize() is called outside an HTTP route (streams, exports). */
export const SERVICE_ROUTE = '__service__';

export const ENGINE_GUARD_METRIC_PROVIDERS = [
  makeCounterProvider({
    name: GUARD_BAD_VALUES_METRIC,
    help: 'Non-finite numbers the engine guard replaced, by route template and kind (nan, inf, neg_inf).',
    labelNames: ['route', 'kind'],
  }),
  makeCounterProvider({
    name: GUARD_EVENTS_METRIC,
    help: 'Responses that needed at least one non-finite value fixed, by route template.',
    labelNames: ['route'],
  }),
  makeCounterProvider({
    name: GUARD_LIMIT_METRIC,
    help: 'Responses past ENGINE_GUARD_MAX_DEPTH or ENGINE_GUARD_MAX_NODES, sanitised by the fallback.',
    labelNames: ['route', 'limit'],
  }),
];
