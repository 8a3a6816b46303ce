import { z } from 'zod';
import { startDevAuthorizationServer } from './oauth-dev-server.js';

/**
 * `npm run oauth:dev`: a development OAuth authorization server (oidc-provider) on loopback, issuing JWT access tokens
 * for the local cluster's MCP endpoint, until Ctrl-C. docs/oauth.md walks through it.
 */
const env = z
  .object({
    OAUTH_DEV_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
    /** The cluster's port (`npm start`'s PORT): the resource is http://127.0.0.1:<PORT>/mcp. */
    PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  })
  .parse(process.env);

const server = await startDevAuthorizationServer({
  port: env.OAUTH_DEV_PORT,
  resource: `http://127.0.0.1:${env.PORT}/mcp`,
});
const [first] = server.clients;
console.log(`
Development authorization server (oidc-provider) running

  issuer       ${server.issuer}
  token        ${server.tokenEndpoint} (client credentials grant)
  resource     ${server.resource} (access tokens are JWTs with this audience)
  clients      ${server.clients.map((c) => `${c.clientId} / ${c.clientSecret}   scope ${c.scope}`).join('\n               ')}

Start the cluster against it (in another terminal):
  OAUTH_ISSUER=${server.issuer} PORT=${env.PORT} npm start

Get a token:
  curl -s ${server.tokenEndpoint} -u ${first?.clientId}:${first?.clientSecret} -d grant_type=client_credentials \\
    -d scope=${first?.scope.replace(/ /g, '+')} --data-urlencode resource=${server.resource}

Ctrl-C stops it.
`);

const shutdown = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
