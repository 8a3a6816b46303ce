import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LoadingCache } from '../cache/loading-cache.js';
import { errorCode, SecretUnavailableError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { redactor as processRedactor, type Redactor } from '../logging/redactor.js';
import { isSecretName } from './secret-name.js';

export interface SecretStore {
  /**
   * Resolves a tool's bindings (`{ weather: 'weather-api' }`) to values (`{ weather: '...' }`). Only the secrets
   * named are fetched; each is cached for the TTL. Throws SecretUnavailableError naming the binding, never the value.
   */
  resolve(bindings: Readonly<Record<string, string>>): Promise<Record<string, string>>;
}

export interface SecretStoreOptions {
  /**
   * The client, or a function that makes it on first use: the MCP function loads the Secrets Manager client only when
   * a tool with secrets is first called, so a cold start that serves tools/list never pays for it.
   */
  client: SecretsManagerClient | (() => Promise<SecretsManagerClient>);
  /** Every secret id is `${prefix}${name}`; the function's IAM policy grants this prefix only. */
  prefix: string;
  ttlMs: number;
  logger: Logger;
  redactor?: Redactor;
}

export function createSecretStore(options: SecretStoreOptions): SecretStore {
  const redactor = options.redactor ?? processRedactor;
  let client: Promise<SecretsManagerClient> | undefined;
  const getClient = () =>
    (client ??= typeof options.client === 'function' ? options.client() : Promise.resolve(options.client));
  const cache = new LoadingCache<string, string>({
    ttlMs: options.ttlMs,
    serveStaleOnError: true,
    retryAfterMs: 5_000,
    maxEntries: 500,
    load: async (name) => {
      const [secretsManager, { GetSecretValueCommand }] = await Promise.all([
        getClient(),
        import('@aws-sdk/client-secrets-manager'),
      ]);
      const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: `${options.prefix}${name}` }));
      const value =
        output.SecretString ?? (output.SecretBinary ? Buffer.from(output.SecretBinary).toString('utf8') : undefined);
      if (value === undefined) throw new Error('secret has no value');
      redactor.add(value);
      return value;
    },
    onStale: (name, error) =>
      options.logger.warn('secret refresh failed; using the cached value', {
        secret: name,
        errorCode: errorCode(error),
      }),
  });

  return {
    async resolve(bindings) {
      const entries = Object.entries(bindings);
      if (entries.length === 0) return {};
      const values = await Promise.all(
        entries.map(async ([binding, name]) => {
          if (!isSecretName(name)) throw new SecretUnavailableError(binding);
          try {
            return [binding, await cache.get(name)] as const;
          } catch (error) {
            // The SDK's error names the secret id (and so the prefix); log the name and the error's class only.
            options.logger.error('secret unavailable', {
              secret: name,
              errorName: (error as Error).name,
              errorCode: errorCode(error),
            });
            throw new SecretUnavailableError(binding, { cause: error });
          }
        }),
      );
      return Object.fromEntries(values);
    },
  };
}
