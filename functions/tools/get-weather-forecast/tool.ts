import { defineTool, isAbort, parseHttpCredential, ToolError } from 'mcp-cluster/tools';
import { z } from 'zod';

const DEFAULT_BASE_URL = 'https://weather.example.com/v1';

const forecastDaySchema = z.object({
  date: z.string().describe('Local date of the forecast day, YYYY-MM-DD.'),
  summary: z.string().describe('Short description of the weather, e.g. "Light rain".'),
  tempMin: z.number().describe('Lowest temperature of the day, in °C (metric) or °F (imperial).'),
  tempMax: z.number().describe('Highest temperature of the day, in °C (metric) or °F (imperial).'),
  precipitationChance: z.number().min(0).max(100).describe('Chance of rain or snow, in percent (0-100).'),
});

/** What `GET {baseUrl}/forecast` answers. */
const upstreamSchema = z.object({
  city: z.string(),
  country: z.string(),
  days: z.array(forecastDaySchema),
});

function unavailable(detail: string, cause?: unknown): ToolError {
  return new ToolError('UPSTREAM_UNAVAILABLE', `The weather service is unavailable (${detail}); try again shortly.`, {
    retryable: true,
    cause,
  });
}

function badResponse(cause?: unknown): ToolError {
  return new ToolError(
    'UPSTREAM_BAD_RESPONSE',
    'The weather service sent a response that could not be understood; try again.',
    {
      retryable: true,
      cause,
    },
  );
}

function errorForStatus(status: number, city: string): ToolError {
  if (status === 404) {
    return new ToolError(
      'CITY_NOT_FOUND',
      `No forecast for "${city}": check the spelling or add the country, e.g. "Paris, FR".`,
    );
  }
  if (status === 401 || status === 403) {
    return new ToolError(
      'UPSTREAM_AUTH_FAILED',
      "The weather service rejected this server's credential; retrying will not help, ask an operator to check it.",
      { retryable: false },
    );
  }
  if (status === 408 || status === 429 || status >= 500) return unavailable(`HTTP ${status}`);
  return new ToolError('UPSTREAM_REJECTED', `The weather service rejected the request (HTTP ${status}).`);
}

async function send(url: URL, apiKey: string, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal,
    });
  } catch (error) {
    if (isAbort(error, signal)) throw error;
    throw unavailable('network error', error);
  }
}

async function readBody(response: Response, signal: AbortSignal): Promise<z.output<typeof upstreamSchema>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (isAbort(error, signal)) throw error;
    throw badResponse(error);
  }
  const parsed = upstreamSchema.safeParse(body);
  if (!parsed.success) throw badResponse(parsed.error);
  return parsed.data;
}

export default defineTool({
  name: 'get_weather_forecast',
  title: 'Weather forecast',
  description: `
Gets the daily weather forecast for a city, for today and up to 6 following days. Use it when the user asks about
upcoming weather, temperatures or the chance of rain somewhere; it does not give past weather or hourly detail.
Name the city as a person would ("Paris", "Springfield, US"); add a country code when the name is ambiguous.
Returns { city, country, units, days: [{ date (YYYY-MM-DD), summary, tempMin, tempMax, precipitationChance (%) }] };
temperatures are °C for units "metric" and °F for "imperial". Fails with CITY_NOT_FOUND when the city is unknown.`,
  input: z.object({
    city: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .describe('City name, optionally followed by a comma and a country code, e.g. "Lyon" or "Portland, US".'),
    days: z.number().int().min(1).max(7).default(3).describe('How many days to forecast, starting today (1-7).'),
    units: z
      .enum(['metric', 'imperial'])
      .default('metric')
      .describe('"metric" for °C, "imperial" for °F. Defaults to metric.'),
  }),
  output: z.object({
    city: z.string().describe('The city the forecast is for, as the weather service names it.'),
    country: z.string().describe('Its country, ISO 3166-1 alpha-2 code.'),
    units: z.enum(['metric', 'imperial']).describe('Units of the temperatures.'),
    days: z.array(forecastDaySchema).describe('One entry per day, earliest first.'),
  }),
  annotations: { title: 'Weather forecast', readOnlyHint: true, openWorldHint: true },
  scopes: ['weather:read'],
  secrets: { weather: 'weather-api' },
  timeoutMs: 8000,
  async run({ city, days, units }, ctx) {
    const credential = parseHttpCredential(ctx.secrets.weather, {
      service: 'weather API',
      defaultBaseUrl: DEFAULT_BASE_URL,
    });
    const url = new URL(`${credential.baseUrl}/forecast`);
    url.searchParams.set('city', city);
    url.searchParams.set('days', String(days));
    url.searchParams.set('units', units);

    ctx.progress(0, 2, `Asking the forecast service about ${city}`);
    const response = await send(url, credential.apiKey, ctx.signal);
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw errorForStatus(response.status, city);
    }
    ctx.progress(1, 2, 'Reading the forecast');
    const forecast = await readBody(response, ctx.signal);
    ctx.progress(2, 2, `Forecast for ${forecast.days.length} day(s) received`);
    ctx.log('debug', 'Forecast received', { city, days: forecast.days.length });
    return { city: forecast.city, country: forecast.country, units, days: forecast.days.slice(0, days) };
  },
});
