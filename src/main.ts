import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { AppConfig } from './config/app.config';
import { ConfigValidationError } from './config/config.loader';
import { currentCorrelationId } from './common/request-context';
import { gracefulShutdown } from './health/graceful-shutdown';
import { ROOT_LOGGER } from './observability/logger.factory';

async function bootstrap(): Promise<void> {
  const config = AppConfig.fromProcessEnv();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  configureApp(app);
  const logger = app.get<Logger>(ROOT_LOGGER);
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason, correlationId: currentCorrelationId() }, 'unhandled promise rejection');
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void gracefulShutdown(app, signal));
  }
  await app.listen({ port: config.env.PORT, host: config.env.HOST });
  logger.info(
    { url: await app.getUrl(), env: config.env.NODE_ENV, database: config.database.kind },
    'Bulwark listening',
  );
}

bootstrap().catch((err: unknown) => {
  if (err instanceof ConfigValidationError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(
      `Bulwark failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
