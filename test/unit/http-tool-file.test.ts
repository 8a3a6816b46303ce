import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdminError } from '../../shared/admin/admin-error.js';
import { checkHttpTool, parseHttpToolFile } from '../../shared/admin/http-tools.js';

const refused = (message: RegExp) => (error: unknown) => {
  assert.equal((error as AdminError).code, 'INVALID_MANIFEST', (error as Error).message);
  assert.match((error as Error).message, message);
  return true;
};

const WEATHER_YAML = `
name: weather_forecast_http
description: Daily forecast for a city.
scopes: [weather:read]
rateLimit: 10/min
inputSchema:
  type: object
  properties:
    city: { type: string, description: 'City name, e.g. Lisbon' }
  required: [city]
request:
  method: GET
  url: https://api.weather.example/v1/forecast
  arguments:
    city: { in: query }
auth: { type: query, name: key, secret: weather-api, field: apiKey }
`;

describe('tool files for tools add-http', () => {
  it('reads a YAML file with the HTTP fields at the top level and the rate limit as text', () => {
    const tool = parseHttpToolFile(WEATHER_YAML, 'weather.yaml');
    assert.deepEqual(tool, {
      name: 'weather_forecast_http',
      description: 'Daily forecast for a city.',
      scopes: ['weather:read'],
      rateLimit: { limit: 10, windowSeconds: 60 },
      http: {
        inputSchema: {
          type: 'object',
          properties: { city: { type: 'string', description: 'City name, e.g. Lisbon' } },
          required: ['city'],
        },
        request: {
          method: 'GET',
          url: 'https://api.weather.example/v1/forecast',
          arguments: { city: { in: 'query' } },
        },
        auth: { type: 'query', name: 'key', secret: 'weather-api', field: 'apiKey' },
      },
    });
    checkHttpTool(tool);
  });

  it('reads a JSON manifest with the spec under `http`', () => {
    const tool = parseHttpToolFile(
      JSON.stringify({
        name: 'get_invoice',
        description: 'One invoice.',
        enabled: false,
        http: {
          inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          request: { method: 'GET', url: 'https://billing.example/invoices/{id}' },
          auth: { type: 'bearer', secret: 'billing' },
        },
      }),
      'invoice.json',
    );
    assert.equal(tool.enabled, false);
    assert.equal(tool.http.request.url, 'https://billing.example/invoices/{id}');
    checkHttpTool(tool);
  });

  it('names the field that is wrong', () => {
    assert.throws(
      () => parseHttpToolFile(WEATHER_YAML.replace('method: GET', 'method: FETCH'), 'weather.yaml'),
      refused(/request\.method/),
    );
    assert.throws(
      () => parseHttpToolFile(WEATHER_YAML.replace('type: query, name: key', 'type: cookie, name: key'), 'w.yaml'),
      refused(/auth\.type/),
    );
    assert.throws(() => parseHttpToolFile(`${WEATHER_YAML}\ncolor: blue\n`, 'w.yaml'), refused(/color/));
    assert.throws(() => parseHttpToolFile(WEATHER_YAML.replace('10/min', 'often'), 'w.yaml'), refused(/rateLimit/));
    assert.throws(() => parseHttpToolFile('{ "name": ', 'w.json'), refused(/not valid JSON/));
  });

  it('says where a YAML or JSON file does not parse, ending with the line rather than a dangling colon', () => {
    assert.throws(
      () => parseHttpToolFile('name: [weather, forecast\ndescription: x\n', 'w.yaml'),
      (error: Error) => {
        refused(/^w\.yaml is not valid YAML: Flow sequence .* at line 2, column 1\.\n {2}line 2: description: x$/)(
          error,
        );
        return true;
      },
    );
    assert.throws(() => parseHttpToolFile('{ "name": ', 'w.json'), refused(/^w\.json is not valid JSON: .*[^:]$/));
  });

  it('refuses a broken input schema with the validator’s reason', () => {
    const broken = WEATHER_YAML.replace('type: string,', 'type: text,');
    assert.throws(() => parseHttpToolFile(broken, 'w.yaml'), refused(/inputSchema: not a valid JSON Schema/));
    const tool = parseHttpToolFile(WEATHER_YAML, 'w.yaml');
    const properties = { city: { type: 'text' } };
    assert.throws(
      () => checkHttpTool({ ...tool, http: { ...tool.http, inputSchema: { type: 'object', properties } } }),
      refused(/inputSchema: not a valid JSON Schema/),
    );
  });

  it('names every problem of a manifest in one run: the shape of each field, then the URL, placeholders, schema and headers', () => {
    const manifest = `
name: get stock
inputSchema:
  type: object
  properties:
    warehouse: { type: strin }
    session: { type: string }
request:
  method: FETCH
  url: ftp://stock.example/v1/{warehouse}/{sku}
  arguments:
    warehouse: { in: path }
    session: { in: cookie }
  headers:
    Authorization: Bearer hard-coded
auth: { type: header, secret: stock-api }
`;
    assert.throws(
      () => parseHttpToolFile(manifest, 'stock.yaml'),
      (error: Error) => {
        refused(/^stock\.yaml is not a valid HTTP tool:\n/)(error);
        const lines = error.message
          .split('\n')
          .slice(1)
          .map((line) => line.trim());
        for (const field of [
          /^name: /,
          /^description: /,
          /^request\.method: /,
          /^request\.arguments\.session\.in: /,
          /^auth\.name: /,
          /^request\.url: only http and https/,
          /^request\.url: no argument fills \{sku\}/,
          /^inputSchema: not a valid JSON Schema/,
          /^request\.headers\.Authorization: /,
        ]) {
          assert.ok(
            lines.some((line) => field.test(line)),
            `${field} among:\n${lines.join('\n')}`,
          );
        }
        return true;
      },
    );
  });

  it('refuses placeholders without an argument, path arguments without a placeholder, and unknown arguments', () => {
    const tool = parseHttpToolFile(WEATHER_YAML, 'w.yaml');
    const withUrl = (url: string, args: Record<string, { in: 'path' | 'query' }>) => ({
      ...tool,
      http: { ...tool.http, request: { ...tool.http.request, url, arguments: args } },
    });
    assert.throws(
      () => checkHttpTool(withUrl('https://api.weather.example/v1/{country}/forecast', { city: { in: 'query' } })),
      refused(/no argument fills \{country\}/),
    );
    assert.throws(
      () => checkHttpTool(withUrl('https://api.weather.example/v1/forecast', { city: { in: 'path' } })),
      refused(/the URL has no \{city\}/),
    );
    assert.throws(
      () => checkHttpTool(withUrl('https://api.weather.example/v1/forecast', { town: { in: 'query' } })),
      refused(/town: not a property of inputSchema/),
    );
    assert.throws(() => checkHttpTool(withUrl('ftp://files.example/{city}', {})), refused(/only http and https/));
    checkHttpTool(withUrl('https://api.weather.example/v1/forecast/{city}', {}));
  });

  it('refuses a URL or allowed host that is a metadata or link-local address, even before any call', () => {
    const tool = parseHttpToolFile(WEATHER_YAML, 'w.yaml');
    const withRequest = (url: string, allowedHosts?: string[]) => ({
      ...tool,
      http: { ...tool.http, request: { ...tool.http.request, url, ...(allowedHosts ? { allowedHosts } : {}) } },
    });
    assert.throws(
      () => checkHttpTool(withRequest('http://169.254.169.254/latest/meta-data/')),
      refused(/request\.url: 169\.254\.169\.254 is a link-local, metadata or reserved address/),
    );
    assert.throws(
      () => checkHttpTool(withRequest('http://[fd00:ec2::254]/latest/')),
      refused(/request\.url: fd00:ec2::254 is a link-local/),
    );
    assert.throws(
      () =>
        checkHttpTool(
          withRequest('https://api.weather.example/v1/forecast', ['api.weather.example', '169.254.169.254:80']),
        ),
      refused(/request\.allowedHosts\.1: 169\.254\.169\.254/),
    );
    // Loopback and private addresses are the deployment's call (OUTBOUND_ALLOWED_CIDRS), checked when called.
    checkHttpTool(withRequest('http://127.0.0.1:8080/v1/forecast'));
  });

  it('refuses at write time what the function would skip when it loads the manifest', () => {
    const tool = parseHttpToolFile(WEATHER_YAML, 'w.yaml');
    const withHeaders = {
      ...tool,
      http: { ...tool.http, request: { ...tool.http.request, headers: { Authorization: 'x' } } },
    };
    assert.throws(() => checkHttpTool(withHeaders), refused(/Authorization/i));
    // `city` goes to the query parameter `key`, which carries the credential.
    const clash = {
      ...tool,
      http: {
        ...tool.http,
        request: { ...tool.http.request, arguments: { city: { in: 'query' as const, name: 'key' } } },
      },
    };
    assert.throws(() => checkHttpTool(clash), refused(/query parameter "key"/));
  });

  it('accepts a draft 2020-12 schema, as the function validates with draft 2020-12', () => {
    const tool = parseHttpToolFile(WEATHER_YAML, 'w.yaml');
    checkHttpTool({
      ...tool,
      http: {
        ...tool.http,
        inputSchema: { ...tool.http.inputSchema, $schema: 'https://json-schema.org/draft/2020-12/schema' },
      },
    });
  });
});
