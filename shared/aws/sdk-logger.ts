import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logging/logger.js';

type SdkLogger = NonNullable<DynamoDBClientConfig['logger']>;

/**
 * The logger the functions give their AWS SDK clients: the SDK's debug lines, warnings and errors go to the
 * function's structured log (scrubbed like every line). It has no `info` on purpose: the SDK builds an info record of
 * every call (its input and output, filtered for sensitive members) only for a logger that has one, which is work on
 * every call for lines nobody reads.
 */
export function sdkLogger(logger: Logger): SdkLogger {
  const fields = (content: unknown[]) => ({ sdk: content.length === 1 ? content[0] : content });
  return {
    debug: (...content: unknown[]) => logger.debug('AWS SDK', fields(content)),
    warn: (...content: unknown[]) => logger.warn('AWS SDK', fields(content)),
    error: (...content: unknown[]) => logger.error('AWS SDK', fields(content)),
  } as Omit<SdkLogger, 'info'> as SdkLogger;
}
