import { Global, Module } from '@nestjs/common';
import { makeHistogramProvider, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { HttpHooks } from './http.hooks';
import { HTTP_DURATION_METRIC, HttpMetrics } from './http.metrics';
import { ROOT_LOGGER } from './logger.factory';
import { RootLoggerModule } from './root-logger.module';
import { MetricsController } from './metrics.controller';

@Global()
@Module({
  imports: [
    PrometheusModule.register({ path: '/metrics', controller: MetricsController, defaultMetrics: { enabled: true } }),
    // nestjs-pino routes Nest's own Logger into the same pino instance. Its per-request middleware is
    // not needed (the correlation id comes from our async context through pino's mixin), so it is bound
    // to a path no request uses.
    LoggerModule.forRootAsync({
      inject: [ROOT_LOGGER],
      imports: [RootLoggerModule],
      useFactory: (logger: Logger) => ({
        pinoHttp: { logger, autoLogging: false },
        forRoutes: [],
      }),
    }),
    RootLoggerModule,
  ],
  providers: [
    makeHistogramProvider({
      name: HTTP_DURATION_METRIC,
      help: 'HTTP request duration in seconds, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    HttpMetrics,
    HttpHooks,
  ],
  exports: [HttpMetrics, HttpHooks],
})
export class ObservabilityModule {}
