/**
 * The pino logger factory. One logger is created by the composition root and passed down; components take
 * children (`component`, `reqId`, `syncRunId`) so every line can be traced to its request or sync run.
 * JSON lines by default; pino-pretty (in-process, synchronous: no worker thread to lose lines at exit) when
 * asked for or when stdout is a terminal. Secrets are scrubbed from every record and binding.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets, redactUrlsInText } from './redact.js';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface CreateLoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go (default: stdout). Tests pass a stream to read the records back. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Whether the output is a terminal (default: process.stdout.isTTY); decides `auto`. */
  isTty?: boolean;
  /** Fields on every line, e.g. `{ service: 'patchbay' }`. */
  base?: Record<string, unknown>;
}

export function resolveLogFormat(format: LogFormat, isTty: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTty ? 'pretty' : 'json') : format;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const isTty = options.isTty ?? process.stdout.isTTY === true;
  const format = resolveLogFormat(options.format, isTty);
  const pinoOptions: LoggerOptions = {
    level: options.level,
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redactSecrets(obj),
      bindings: (bindings) => redactSecrets(bindings),
    },
    hooks: {
      // The message text is not a record field; scrub credentials in URLs there too.
      logMethod(args, method) {
        const scrubbed = args.map((a: unknown) =>
          typeof a === 'string' ? redactUrlsInText(a) : a,
        ) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  const destination =
    format === 'pretty'
      ? pretty({
          colorize: isTty,
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          destination: options.destination ?? 1,
        })
      : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  const logger = pino(pinoOptions, destination);
  // pino applies `formatters.bindings` to the root only; children (ours and fastify's) inherit `child` from
  // the root through the prototype chain, so wrapping it once scrubs every child's bindings.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the child's own `this` below
  const rootChild = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    const child = rootChild.call(this, redactSecrets(bindings), childOptions);
    return rebindsParentKey(this, bindings) ? withLastBindingOnly(child) : child;
  } as typeof logger.child;
  return logger;
}

/**
 * pino appends a child's bindings to its parent's serialized ones, so `child({ component })` of a logger that
 * already has a `component` writes the key twice (JSON consumers then see either value). The child's own
 * value is the more specific one and must be the only one.
 */
function rebindsParentKey(parent: Logger, bindings: Record<string, unknown>): boolean {
  const serialized = (parent as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  return Object.keys(bindings).some((k) => serialized.includes(`${JSON.stringify(k)}:`));
}

function withLastBindingOnly<L extends object>(child: L): L {
  const holder = child as unknown as Record<symbol, string>;
  const serialized = holder[pino.symbols.chindingsSym] ?? '';
  // The serialized bindings are `,"k":v,...` (valid JSON members); JSON.parse keeps the last value per key.
  const merged = JSON.parse(`{${serialized.slice(1)}}`) as Record<string, unknown>;
  const members = JSON.stringify(merged).slice(1, -1);
  holder[pino.symbols.chindingsSym] = members === '' ? '' : `,${members}`;
  return child;
}

/** A logger for one component (`http`, `sync`, `db`, ...). */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}

/** A logger for one client request; `reqId` matches the id fastify logs for the request. */
export function requestLogger(logger: Logger, reqId: string): Logger {
  return logger.child({ reqId });
}

/** A logger for one synchronization run. */
export function syncRunLogger(logger: Logger, syncRunId: string | number): Logger {
  return logger.child({ syncRunId: String(syncRunId) });
}
