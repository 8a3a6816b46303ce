import { readFileSync } from 'node:fs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const { url, apiKey } = JSON.parse(readFileSync('.mcp-local/dev.json', 'utf8'));
const client = new Client({ name: 'my-agent', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }),
);
console.log(await client.callTool({ name: 'get_weather_forecast', arguments: { city: 'Lisbon', days: 2 } }));
await client.close();
