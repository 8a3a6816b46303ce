import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LoadingCache } from '../cache/loading-cache.js';
import { errorCode, SecretUnavailableError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import {
  redactor as processRedactor,
  tenantRedactors as processTenantRedactors,
  type Redactor,
  type TenantRedactors,
} from '../logging/redactor.js';
import { DEFAULT_TENANT, isTenantId } from '../tenants/tenants.js';
import { isSecretName } from './secret-name.js';

export interface SecretStore {
  /**
   * Resolves a tool's bindings (`{ weather: 'weather-api' }`) to values (`{ weather: '...' }`). Only the secrets
   * named are fetched; each is cached for the TTL. Throws SecretUnavailableError naming the binding, never the value.
   *
   * For a caller of a tenant other than the default one, a binding resolves to its tenant's secret
   * (`<prefix><tenant>/<name>`), and to the shared one (`<prefix><name>`) only if the tenant has none and `fallback`
   * allows it. The default tenant's secrets are the shared ones.
   */
  resolve(bindings: Readonly<Record<string, string>>, caller?: SecretCaller): Promise<Record<string, string>>;
}

/** Whose secrets a call reads. */
export interface SecretCaller {
  /** @default the default tenant (the shared secrets) */
  tenant?: string;
  /** Whether a tenant without its own secret for a binding gets the shared one. @default false */
  fallback?: boolean;
}

/** How long a tenant's missing secret is remembered as missing (it may be stored any minute). */
const MISSING_TTL_MS = 30_000;

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
  /** Where each value resolved for a tenant's caller is registered: what that tenant's answers are scrubbed with. */
  tenantRedactors?: TenantRedactors;
}

export function createSecretStore(options: SecretStoreOptions): SecretStore {
  const redactor = options.redactor ?? processRedactor;
  let client: Promise<SecretsManagerClient> | undefined;
  const getClient = () =>
    (client ??= typeof options.client === 'function' ? options.client() : Promise.resolve(options.client));
  const fetchSecret = async (name: string, absent: 'throw' | 'null'): Promise<string | null> => {
    const [secretsManager, { GetSecretValueCommand }] = await Promise.all([
      getClient(),
      import('@aws-sdk/client-secrets-manager'),
    ]);
    let output: GetSecretValueCommandOutput;
    try {
      output = await secretsManager.send(new GetSecretValueCommand({ SecretId: `${options.prefix}${name}` }));
    } catch (error) {
      if (absent === 'null' && (error as Error | undefined)?.name === 'ResourceNotFoundException') return null;
      throw error;
    }
    const value =
      output.SecretString ?? (output.SecretBinary ? Buffer.from(output.SecretBinary).toString('utf8') : undefined);
    if (value === undefined) throw new Error('secret has no value');
    redactor.add(value);
    return value;
  };
  const cacheOf = (absent: 'throw' | 'null') =>
    new LoadingCache<string, string | null>({
      ttlMs: options.ttlMs,
      ttlFor: (value) => (value === null ? Math.min(options.ttlMs, MISSING_TTL_MS) : options.ttlMs),
      serveStaleOnError: true,
      retryAfterMs: 5_000,
      maxEntries: 500,
      load: (name) => fetchSecret(name, absent),
      onStale: (name, error) =>
        options.logger.warn('secret refresh failed; using the cached value', {
          secret: name,
          errorCode: errorCode(error),
        }),
    });
  // Keyed by the name below the prefix: a tenant's secret (`acme/weather-api`) and the shared one never share an
  // entry. A tenant's secret that does not exist is `null` (remembered briefly), so the shared one can stand in.
  const shared = cacheOf('throw');
  const tenants = cacheOf('null');

  // An operator hears of a tenant without its own secret (at most once a minute each): the caller only hears that a
  // credential is not configured for it.
  const warned = new Map<string, number>();
  const warnMissing = (tenant: string, name: string) => {
    const key = `${tenant}/${name}`;
    const now = Date.now();
    if ((warned.get(key) ?? 0) > now - 60_000) return;
    if (warned.size >= 1_000) warned.clear();
    warned.set(key, now);
    options.logger.warn('tenant has no secret of its own', {
      tenant,
      secret: name,
      fix: `store it (mcp-cluster secrets put ${key}), or let the tool use the shared one (mcp-cluster tools update NAME --secret-fallback on)`,
    });
  };

  return {
    async resolve(bindings, caller = {}) {
      const entries = Object.entries(bindings);
      if (entries.length === 0) return {};
      const tenant = caller.tenant ?? DEFAULT_TENANT;
      const own = tenant !== DEFAULT_TENANT;
      const values = await Promise.all(
        entries.map(async ([binding, name]) => {
          if (!isSecretName(name)) throw new SecretUnavailableError(binding);
          try {
            if (own) {
              // A tenant id that cannot name a folder has no secrets of its own.
              const value = isTenantId(tenant) ? await tenants.get(`${tenant}/${name}`) : null;
              if (value !== null) return [binding, value] as const;
              if (!caller.fallback) {
                warnMissing(tenant, name);
                throw new SecretUnavailableError(binding, { tenant });
              }
            }
            const value = await shared.get(name);
            if (value === null) throw new Error('secret has no value');
            return [binding, value] as const;
          } catch (error) {
            if (error instanceof SecretUnavailableError) throw error;
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
      const scoped = (options.tenantRedactors ?? processTenantRedactors).for(tenant);
      for (const [, value] of values) scoped.add(value);
      return Object.fromEntries(values);
    },
  };
}
