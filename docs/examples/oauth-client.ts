import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

// The endpoint, and this client's credentials at the authorization server (npm run oauth:dev prints them).
const url = process.env.MCP_URL ?? 'http://127.0.0.1:3000/mcp';
const clientId = process.env.CLIENT_ID ?? 'weather-agent';
const clientSecret = process.env.CLIENT_SECRET ?? 'weather-agent-secret';

// 1. Ask without a token: the 401 challenge names the metadata and the scope to request (MCP's scope selection).
const probe = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
});
const challenge = probe.headers.get('www-authenticate') ?? '';
const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
const metadataUrl = /resource_metadata="([^"]*)"/.exec(challenge)?.[1];
if (probe.status !== 401 || !metadataUrl)
  throw new Error(`expected an OAuth challenge, got ${probe.status} ${challenge}`);

// 2. The protected-resource metadata names the resource (the token's audience) and the authorization server.
const { resource, authorization_servers } = await (await fetch(metadataUrl)).json();
const issuer = String(authorization_servers[0]).replace(/\/$/, '');
const { token_endpoint } = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();

// 3. A token for exactly this resource, with the challenged scope (client credentials grant, RFC 8707 resource).
const tokenResponse = await fetch(token_endpoint, {
  method: 'POST',
  headers: { authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}` },
  body: new URLSearchParams({ grant_type: 'client_credentials', resource, ...(scope ? { scope } : {}) }),
});
const token = await tokenResponse.json();
if (!tokenResponse.ok) throw new Error(`token request refused: ${JSON.stringify(token)}`);
console.log(`token for ${resource} with scope "${token.scope ?? ''}"`);

// 4. Connect with it, as with an API key.
const client = new Client({ name: 'oauth-agent', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token.access_token}` } },
  }),
);
console.log((await client.listTools()).tools.map((tool) => tool.name).join(', '));
await client.close();
