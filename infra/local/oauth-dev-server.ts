import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

/** A client of the development authorization server: a machine client (client credentials grant). */
export interface DevClient {
  clientId: string;
  clientSecret: string;
  /** The scopes it may be issued, space separated. */
  scope: string;
  /** Put in its tokens' `tenant` claim. */
  tenant: string;
}

/** The example clients: one that reads the weather, one that may also delete user accounts. */
export const DEV_CLIENTS: readonly DevClient[] = [
  { clientId: 'weather-agent', clientSecret: 'weather-agent-secret', scope: 'weather:read', tenant: 'default' },
  {
    clientId: 'admin-agent',
    clientSecret: 'admin-agent-secret',
    scope: 'weather:read users:admin',
    tenant: 'default',
  },
];

export interface DevAuthorizationServerOptions {
  /** @default 3100 (0 picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The MCP endpoint's URL (`${PUBLIC_BASE_URL}/mcp`): the only resource it issues tokens for, and their audience. */
  resource: string;
  /** Every scope the resource knows (its tools' scopes). @default the example tools': 'weather:read users:admin' */
  resourceScopes?: string;
  clients?: readonly DevClient[];
  /** Lifetime of an access token, in seconds. @default 600 */
  accessTokenTtlSeconds?: number;
}

export interface DevAuthorizationServer {
  /** The issuer identifier, e.g. `http://127.0.0.1:3100` (what OAUTH_ISSUER is set to). */
  issuer: string;
  tokenEndpoint: string;
  resource: string;
  clients: readonly DevClient[];
  close(): Promise<void>;
}

/**
 * A real OAuth 2.1 authorization server on loopback for local runs (panva's oidc-provider): OpenID discovery, a JWKS,
 * the client credentials grant, RFC 8707 resource indicators, and access tokens that are JWTs (RS256) for exactly the
 * MCP endpoint. For development only: fixed client secrets, keys made anew at each start, plain http.
 */
export async function startDevAuthorizationServer(
  options: DevAuthorizationServerOptions,
): Promise<DevAuthorizationServer> {
  const host = options.host ?? '127.0.0.1';
  const clients = options.clients ?? DEV_CLIENTS;
  const resourceScopes = options.resourceScopes ?? 'weather:read users:admin';
  const resource = options.resource;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'dev-rs256', alg: 'RS256', use: 'sig' };
  const tenants = new Map(clients.map((client) => [client.clientId, client.tenant]));

  // The port is known once listening, and the issuer URL names it: listen first, then hand requests to the provider.
  const { createServer } = await import('node:http');
  let callback:
    | ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void)
    | undefined;
  const server: Server = createServer((req, res) => {
    if (callback) callback(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3100, host, () => resolve());
  });
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: clients.map(
      (client): ClientMetadata => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: client.scope,
      }),
    ),
    scopes: ['openid', ...new Set(resourceScopes.split(' ').filter(Boolean))],
    jwks: { keys: [signingKey] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
          return {
            scope: resourceScopes,
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds ?? 600,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const tenant = 'clientId' in token && token.clientId ? tenants.get(token.clientId) : undefined;
      return tenant ? { tenant } : undefined;
    },
  });
  // Problems are answered to the client (invalid_scope, invalid_target, ...); the server itself stays quiet.
  provider.on('server_error', (_ctx, error) => console.error(`authorization server error: ${error.message}`));
  callback = provider.callback();

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    resource,
    clients,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
