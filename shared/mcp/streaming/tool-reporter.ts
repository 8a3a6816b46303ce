import type { LoggingLevel } from '@modelcontextprotocol/server';
import type { Redactor } from '../../logging/redactor.js';
import { LOGGING_LEVELS } from '../protocol/request-meta.js';

/** What a tool reports while it runs: progress and log messages, sent to the caller as MCP notifications. */
export interface ToolReporter {
  /** `notifications/progress`, when the request carried a progress token; a value that does not increase is dropped. */
  progress(done: number, total?: number, message?: string): void;
  /** `notifications/message`, when the request asked for logs at this level or a less severe one. */
  log(level: LoggingLevel, message: string, data?: unknown): void;
}

/** A progress token (MCP: a string or an integer), taken from a request's `params._meta.progressToken`. */
export type ProgressToken = string | number;

export interface ToolReporterOptions {
  /** The request's progress token; without it no progress is sent. */
  progressToken?: ProgressToken;
  /** The least severe level sent; without it no log message is sent. */
  logLevel?: LoggingLevel;
  /** Names the logger in log notifications (the tool). */
  loggerName?: string;
  /** Sends one notification, serialized, on the request's own response stream. */
  send(notification: string): void;
  /** Scrubs every known secret value from each notification before it is sent. */
  redactor: Redactor;
}

/** Reports nothing: for requests that cannot receive notifications. */
export const SILENT_REPORTER: ToolReporter = Object.freeze({ progress() {}, log() {} });

/** The level a legacy-era request is served at: `logging/setLevel` was sent on another request, which no instance keeps. */
export const LEGACY_LOG_LEVEL: LoggingLevel = 'info';

/** A progress token, if `value` is one (MCP: a string or an integer). */
export function progressTokenOf(meta: Record<string, unknown> | undefined): ProgressToken | undefined {
  const token = meta?.progressToken;
  if (typeof token === 'string' && token !== '') return token;
  if (typeof token === 'number' && Number.isInteger(token)) return token;
  return undefined;
}

/**
 * A reporter for one call: progress notifications for the request's token, with values that only increase, and log
 * notifications at the request's level and above. Each notification is serialized once, scrubbed of every secret
 * value the process knows (a tool's own secrets included) and handed to `send`.
 */
export function createToolReporter(options: ToolReporterOptions): ToolReporter {
  const { progressToken, logLevel, send, redactor } = options;
  if (progressToken === undefined && logLevel === undefined) return SILENT_REPORTER;
  const minimum = logLevel === undefined ? LOGGING_LEVELS.length : LOGGING_LEVELS.indexOf(logLevel);
  let last = Number.NEGATIVE_INFINITY;
  const emit = (method: string, params: Record<string, unknown>) => {
    let text: string;
    try {
      text = JSON.stringify({ jsonrpc: '2.0', method, params });
    } catch {
      return; // data that does not serialize is not sent
    }
    send(redactor.redact(text));
  };
  return {
    progress(done, total, message) {
      if (progressToken === undefined || !Number.isFinite(done) || done <= last) return;
      last = done;
      emit('notifications/progress', {
        progressToken,
        progress: done,
        ...(typeof total === 'number' && Number.isFinite(total) ? { total } : {}),
        ...(typeof message === 'string' ? { message } : {}),
      });
    },
    log(level, message, data) {
      const severity = LOGGING_LEVELS.indexOf(level);
      if (severity < 0 || severity < minimum) return;
      emit('notifications/message', {
        level,
        ...(options.loggerName ? { logger: options.loggerName } : {}),
        data: data === undefined ? message : { message, data },
      });
    },
  };
}
