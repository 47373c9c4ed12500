import pino, { type Logger } from 'pino';
import type { AppConfig } from '../config/app.config';
import { Redactor } from '../common/redactor';
import { currentCorrelationId } from '../common/request-context';

/** Header and field paths pino blanks before anything is written, wherever they appear in a log object. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.api_key',
];

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * The process's one pino instance. Every line carries the correlation id of the request it was written
 * in, taken from async context, so code never has to pass it along.
 */
/**
 * The audit trail's redactor, in log mode: secrets in any field or message are masked the same way, and
 * CR/LF in strings cannot forge extra log lines.
 */
export function createLogRedactor(config: AppConfig): Redactor {
  return new Redactor({
    enabled: config.env.AUDIT_REDACT,
    extraFields: config.env.AUDIT_REDACT_EXTRA_FIELDS,
    stripNewlines: true,
    maxDepth: 10,
    maxNodes: 5_000,
    maxStringLength: 16_384,
  });
}

/** The stream a pino logger writes to, for writers that share it (the access line, the plain logger). */
export function logDestination(logger: Logger): pino.DestinationStream {
  return (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
}

export function createRootLogger(config: AppConfig, destination?: pino.DestinationStream): Logger {
  // The fixed redact paths below stay as a second, cheaper net under the redactor.
  const redactor = createLogRedactor(config);
  return pino(
    {
      level: config.env.LOG_LEVEL,
      base: { service: 'bulwark' },
      redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactor.redact(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            const arg: unknown = args[i];
            if (typeof arg === 'string') (args as unknown[])[i] = redactor.redactString(arg);
          }
          method.apply(this, args);
        },
      },
      mixin() {
        const correlationId = currentCorrelationId();
        return correlationId ? { correlationId } : {};
      },
    },
    // Lines are batched into 4 KiB writes (one syscall for dozens of request lines under load) and
    // flushed at least every 250 ms, so a quiet service still shows its logs promptly.
    destination ?? pino.destination({ sync: false, minLength: 4096, periodicFlush: 250 }),
  );
}

/**
 * A logger on the root logger's destination without its redaction, formatters or mixin, for lines whose
 * shape the caller controls completely: the per-request access line (no headers, no query string; the
 * root logger's wildcard redaction would double its cost) and the one line that hands a development
 * operator the admin key generated for this run.
 */
export function createPlainLogger(root: Logger): Logger {
  return pino(
    {
      level: root.level,
      base: { service: 'bulwark' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    logDestination(root),
  );
}
