import { readFileSync } from 'node:fs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const { url, apiKey } = JSON.parse(readFileSync('.mcp-local/dev.json', 'utf8'));
const client = new Client(
  { name: 'ops-agent', version: '1.0.0' },
  // Declaring elicitation lets tools ask the user; the handler is where your client would show the question.
  { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {} } },
);
client.setRequestHandler('elicitation/create', async (request) => {
  console.log(`asked: ${request.params.message}`);
  return { action: 'accept', content: { confirm: true } };
});
client.setNotificationHandler('notifications/message', (notification) => {
  console.log(`log (${notification.params.level}):`, notification.params.data);
});
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }),
);

const result = await client.callTool(
  // A log level in _meta asks for log messages at that level and above (2026-07-28).
  {
    name: 'rebuild_index',
    arguments: { collection: 'articles', shards: 3 },
    _meta: { 'io.modelcontextprotocol/logLevel': 'info' },
  },
  // onprogress sends a progress token: the answer becomes an event stream, with each report before the result.
  { onprogress: ({ progress, total, message }) => console.log(`progress ${progress}/${total}: ${message}`) },
);
console.log(result.structuredContent);
await client.close();
