import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const { url, apiKey } = JSON.parse(readFileSync('.mcp-local/dev.json', 'utf8'));
const client = new Client({ name: 'support-agent', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }),
);

const key = randomUUID(); // one per deletion the user asked for, sent again on every retry of it
const call = () =>
  client.callTool({
    name: 'delete_user_account',
    arguments: { userId: 'u-1003', reason: 'User asked to close their account in ticket 8812' },
    _meta: { 'io.mcp-cluster/idempotencyKey': key },
  });
const first = await call();
const retry = await call(); // say the first answer was lost: the retry gets it, and nothing is deleted twice
console.log(first.structuredContent, retry.structuredContent);
console.log(retry._meta?.['io.mcp-cluster/idempotency']); // { replay: true, executedAt, requestId }
await client.close();
