import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { runTool, type StubServer, startStubServer } from 'mcp-cluster/tools';
import { type DemoUpstreams, startDemoUpstreams } from '../../../infra/local/demo-upstreams.js';
import getWeatherForecast from './tool.js';

type Day = { date: string; summary: string; tempMin: number; tempMax: number; precipitationChance: number };
type Output = { city: string; country: string; units: 'metric' | 'imperial'; days: Day[] };

const WEATHER_KEY = 'weather-test-key-123';
const DIRECTORY_KEY = 'directory-test-key-456';

function secretFor(baseUrl: string, apiKey = WEATHER_KEY): { weather: string } {
  return { weather: JSON.stringify({ apiKey, baseUrl }) };
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

describe('get_weather_forecast', () => {
  let upstreams: DemoUpstreams;
  let weather: { weather: string };
  const stubs: StubServer[] = [];

  async function stub(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<StubServer> {
    const server = await startStubServer(handler);
    stubs.push(server);
    return server;
  }

  before(async () => {
    upstreams = await startDemoUpstreams({ apiKeys: { weather: WEATHER_KEY, directory: DIRECTORY_KEY } });
    weather = secretFor(`${upstreams.url}/weather`);
  });

  after(async () => {
    await Promise.all([upstreams.close(), ...stubs.map((server) => server.close())]);
  });

  it('declares its scope, secret binding, deadline and read-only open-world nature', () => {
    assert.equal(getWeatherForecast.name, 'get_weather_forecast');
    assert.deepEqual(getWeatherForecast.scopes, ['weather:read']);
    assert.deepEqual(getWeatherForecast.secrets, { weather: 'weather-api' });
    assert.equal(getWeatherForecast.timeoutMs, 8000);
    assert.equal(getWeatherForecast.annotations?.readOnlyHint, true);
    assert.equal(getWeatherForecast.annotations?.openWorldHint, true);
  });

  it('returns a three-day metric forecast by default, starting today', async () => {
    const output = await runTool<Output>(getWeatherForecast, { city: 'Paris, FR' }, { secrets: weather });
    assert.equal(output.city, 'Paris');
    assert.equal(output.country, 'FR');
    assert.equal(output.units, 'metric');
    assert.equal(output.days.length, 3);
    assert.equal(output.days[0]?.date, today());
    for (const day of output.days) {
      assert.match(day.date, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(day.tempMin <= day.tempMax);
      assert.ok(day.precipitationChance >= 0 && day.precipitationChance <= 100);
      assert.ok(day.summary.length > 0);
    }
  });

  it('gives the same city the same forecast and honours days and units', async () => {
    const metric = await runTool<Output>(getWeatherForecast, { city: 'Lyon', days: 7 }, { secrets: weather });
    const again = await runTool<Output>(getWeatherForecast, { city: '  lyon ', days: 7 }, { secrets: weather });
    assert.deepEqual(again, metric);
    assert.equal(metric.days.length, 7);

    const imperial = await runTool<Output>(
      getWeatherForecast,
      { city: 'Lyon', days: 7, units: 'imperial' },
      { secrets: weather },
    );
    assert.equal(imperial.units, 'imperial');
    imperial.days.forEach((day, index) => {
      const celsius = metric.days[index] as Day;
      assert.ok(Math.abs(day.tempMax - (celsius.tempMax * 9) / 5 - 32) < 0.3, `day ${index}`);
      assert.equal(day.summary, celsius.summary);
    });
  });

  it('sends the key as a bearer token and the arguments as query parameters', async () => {
    let seen: IncomingMessage | undefined;
    const server = await stub((request, response) => {
      seen = request;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ city: 'Oslo', country: 'NO', days: [] }));
    });
    const output = await runTool<Output>(
      getWeatherForecast,
      { city: 'Oslo, NO', days: 2, units: 'imperial' },
      { secrets: secretFor(`${server.url}/v1/`) },
    );
    assert.deepEqual(output, { city: 'Oslo', country: 'NO', units: 'imperial', days: [] });
    assert.equal(seen?.method, 'GET');
    assert.equal(seen?.headers.authorization, `Bearer ${WEATHER_KEY}`);
    const url = new URL(seen?.url ?? '', server.url);
    assert.equal(url.pathname, '/v1/forecast');
    assert.deepEqual(Object.fromEntries(url.searchParams), { city: 'Oslo, NO', days: '2', units: 'imperial' });
  });

  it('reports an unknown city with CITY_NOT_FOUND and a hint', async () => {
    await assert.rejects(runTool(getWeatherForecast, { city: 'Atlantis' }, { secrets: weather }), {
      name: 'ToolError',
      code: 'CITY_NOT_FOUND',
      retryable: false,
      message: 'No forecast for "Atlantis": check the spelling or add the country, e.g. "Paris, FR".',
    });
  });

  it('reports a wrong key as UPSTREAM_AUTH_FAILED, not retryable', async () => {
    const wrongKey = secretFor(`${upstreams.url}/weather`, 'not-the-key');
    await assert.rejects(runTool(getWeatherForecast, { city: 'Paris' }, { secrets: wrongKey }), {
      code: 'UPSTREAM_AUTH_FAILED',
      retryable: false,
    });
  });

  it('reports a 500, a 429 and an unreachable upstream as UPSTREAM_UNAVAILABLE, retryable', async () => {
    for (const status of [500, 503, 429]) {
      const failing = await stub((_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end('{"error":"boom"}');
      });
      await assert.rejects(runTool(getWeatherForecast, { city: 'Paris' }, { secrets: secretFor(failing.url) }), {
        code: 'UPSTREAM_UNAVAILABLE',
        retryable: true,
        message: new RegExp(`HTTP ${status}`),
      });
    }
    const closed = await startStubServer(() => undefined);
    await closed.close();
    await assert.rejects(runTool(getWeatherForecast, { city: 'Paris' }, { secrets: secretFor(closed.url) }), {
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
    });
  });

  it('reports a malformed upstream body as UPSTREAM_BAD_RESPONSE, retryable', async () => {
    const bodies = ['not json', '{"city":"Paris"}', '{"city":"Paris","country":"FR","days":[{"date":"x"}]}'];
    for (const body of bodies) {
      const server = await stub((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(body);
      });
      await assert.rejects(runTool(getWeatherForecast, { city: 'Paris' }, { secrets: secretFor(server.url) }), {
        code: 'UPSTREAM_BAD_RESPONSE',
        retryable: true,
      });
    }
  });

  it('lets an abort from ctx.signal propagate instead of turning it into a ToolError', async () => {
    const silent = await stub(() => undefined); // accepts the request, never answers
    const controller = new AbortController();
    const call = runTool(
      getWeatherForecast,
      { city: 'Paris' },
      { secrets: secretFor(silent.url), signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, (error: Error) => {
      assert.ok(['AbortError', 'TimeoutError'].includes(error.name), error.name);
      return true;
    });

    const timedOut = runTool(
      getWeatherForecast,
      { city: 'Paris' },
      { secrets: secretFor(silent.url), signal: AbortSignal.timeout(50) },
    );
    await assert.rejects(timedOut, { name: 'TimeoutError' });
  });

  it('refuses a malformed secret with CREDENTIAL_INVALID without echoing it', async () => {
    const secrets = [
      'sk-live-not-json',
      JSON.stringify({ baseUrl: `${upstreams.url}/weather` }),
      JSON.stringify({ apiKey: 'sk-live-abc', baseUrl: 'ftp://weather.example.com' }),
      JSON.stringify({ apiKey: '' }),
      '',
    ];
    for (const secret of secrets) {
      await assert.rejects(
        runTool(getWeatherForecast, { city: 'Paris' }, { secrets: { weather: secret } }),
        (error) => {
          assert.equal((error as { code?: string }).code, 'CREDENTIAL_INVALID');
          const { message, cause } = error as Error;
          assert.equal(message, 'The weather API credential is misconfigured; ask an operator to fix it.');
          assert.equal(cause, undefined);
          return true;
        },
      );
    }
    await assert.rejects(runTool(getWeatherForecast, { city: 'Paris' }), { code: 'CREDENTIAL_INVALID' });
  });

  it('rejects bad arguments at the schema, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ city: '' }, 'city'],
      [{ city: '   ' }, 'city'],
      [{ city: 'x'.repeat(101) }, 'city'],
      [{ city: 'Paris', days: 0 }, 'days'],
      [{ city: 'Paris', days: 8 }, 'days'],
      [{ city: 'Paris', days: 2.5 }, 'days'],
      [{ city: 'Paris', units: 'kelvin' }, 'units'],
      [{}, 'city'],
    ];
    for (const [args, field] of cases) {
      const parsed = getWeatherForecast.input.safeParse(args);
      assert.equal(parsed.success, false, JSON.stringify(args));
      assert.deepEqual(parsed.error?.issues[0]?.path, [field], JSON.stringify(args));
    }
    assert.deepEqual(getWeatherForecast.input.parse({ city: ' Paris ' }), { city: 'Paris', days: 3, units: 'metric' });
  });
});
