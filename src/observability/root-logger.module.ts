import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { createRootLogger, ROOT_LOGGER } from './logger.factory';

/** Owns the process's single pino instance (tests override ROOT_LOGGER to capture lines). */
@Global()
@Module({
  providers: [{ provide: ROOT_LOGGER, inject: [AppConfig], useFactory: (c: AppConfig) => createRootLogger(c) }],
  exports: [ROOT_LOGGER],
})
export class RootLoggerModule {}
