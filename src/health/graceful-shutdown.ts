import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app.config';
import { ROOT_LOGGER } from '../observability/logger.factory';
import { LifecycleState } from './lifecycle.state';

export interface ShutdownOptions {
  /** Replaced in tests so the test process survives. */
  exit?: (code: number) => void;
  /** Hook for tests: called once readiness reports 503 and before the drain wait. */
  onDraining?: () => void;
}

/**
 * The shutdown sequence: readiness 503 at once; wait SHUTDOWN_DRAIN_MS so load balancers stop sending;
 * close the app (Fastify stops accepting and lets in-flight requests finish, then module shutdown hooks
 * flush, then the pool closes); exit 0. A timer exits non-zero if this takes longer than
 * SHUTDOWN_TIMEOUT_MS.
 */
export async function gracefulShutdown(
  app: INestApplication,
  signal: string,
  options: ShutdownOptions = {},
): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const config = app.get(AppConfig);
  const logger = app.get<Logger>(ROOT_LOGGER);
  const lifecycle = app.get(LifecycleState);
  if (lifecycle.isDraining) return;
  lifecycle.beginDraining();
  logger.info({ signal, drainMs: config.env.SHUTDOWN_DRAIN_MS }, 'shutdown started; readiness now 503');
  const hardStop = setTimeout(() => {
    logger.fatal({ timeoutMs: config.env.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
    logger.flush();
    exit(1);
  }, config.env.SHUTDOWN_TIMEOUT_MS);
  hardStop.unref();
  options.onDraining?.();
  try {
    await new Promise((resolve) => setTimeout(resolve, config.env.SHUTDOWN_DRAIN_MS));
    // Nest passes the signal on to beforeApplicationShutdown/onApplicationShutdown hooks (the audit
    // module records it in SERVICE_STOPPED); its public type omits the parameter.
    await (app as unknown as { close(signal?: string): Promise<void> }).close(signal);
    logger.info('shutdown complete');
    logger.flush();
    clearTimeout(hardStop);
    exit(0);
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    logger.flush();
    clearTimeout(hardStop);
    exit(1);
  }
}
