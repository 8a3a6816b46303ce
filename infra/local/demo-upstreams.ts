/**
 * Loopback stand-ins for the upstream APIs the example tools call, so every example works on a laptop with no
 * internet (the local cluster points the tools' secrets here) and the tools' tests exercise real HTTP.
 *
 *   weather   GET    /weather/forecast?city=Paris&days=3&units=metric  made-up, deterministic per city
 *   directory GET    /directory/users                                   { users: ['u-1000', ...] }
 *             GET    /directory/users/:id                                { id, name, email, plan, createdAt, protected } | 404
 *             DELETE /directory/users/:id   body { reason, requestedBy, onBehalfOf? }  204 | 404 | 409 (u-1000)
 *
 * Each API wants `Authorization: Bearer <its key>`, else 401. Secrets for the tools:
 *   weather-api:    {"apiKey":"<weather key>","baseUrl":"<url>/weather"}
 *   user-directory: {"apiKey":"<directory key>","baseUrl":"<url>/directory"}
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoUpstreamsOptions {
  apiKeys: { weather: string; directory: string };
  port?: number;
  host?: string;
}

export interface DeletionRecord {
  userId: string;
  reason: string;
  requestedBy?: string;
  onBehalfOf?: string;
  at: string;
}

export interface DemoUpstreams {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:54321`. */
  url: string;
  close(): Promise<void>;
  /** Ids still in the demo directory. */
  users(): string[];
  /** Deletions the directory has recorded, oldest first. */
  deletions(): DeletionRecord[];
  /** How many DELETE requests the directory has received, whatever their answer. */
  deleteRequests(): number;
}

const PROTECTED_USER = 'u-1000';
const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function requireBearer(request: IncomingMessage, key: string): void {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1] || !sameSecret(match[1].trim(), key)) {
    throw new HttpError(401, 'unauthorized', 'Missing or invalid bearer token.');
  }
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'payload_too_large', 'Request body is too large.');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'Request body is not valid JSON.');
  }
}

// ---- weather ----------------------------------------------------------------------------------------------------

const KNOWN_CITIES = new Map([
  ['paris', 'FR'],
  ['lyon', 'FR'],
  ['london', 'GB'],
  ['berlin', 'DE'],
  ['madrid', 'ES'],
  ['lisbon', 'PT'],
  ['porto', 'PT'],
  ['rome', 'IT'],
  ['oslo', 'NO'],
  ['reykjavik', 'IS'],
  ['new york', 'US'],
  ['san francisco', 'US'],
  ['toronto', 'CA'],
  ['tokyo', 'JP'],
  ['sydney', 'AU'],
  ['mumbai', 'IN'],
]);
const COUNTRIES = ['FR', 'GB', 'DE', 'ES', 'IT', 'US', 'CA', 'JP', 'BR', 'AU', 'IN', 'ZA'];
const SUMMARIES = ['Sunny', 'Mostly sunny', 'Partly cloudy', 'Cloudy', 'Light rain', 'Showers', 'Thunderstorms'];

/** FNV-1a, so a city always gets the same weather. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function titleCase(text: string): string {
  return text.toLowerCase().replace(/(^|[\s-])(\p{L})/gu, (_match, space: string, letter: string) => {
    return space + letter.toUpperCase();
  });
}

function parseCityQuery(raw: string): { city: string; country?: string; key: string } {
  const [name = '', country] = raw.split(',').map((part) => part.trim());
  const key = name.toLowerCase().replace(/\s+/g, ' ');
  return { city: titleCase(key), country: country ? country.toUpperCase().slice(0, 2) : undefined, key };
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, 'invalid_parameter', `"${name}" must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function toUnits(celsius: number, units: 'metric' | 'imperial'): number {
  const value = units === 'imperial' ? (celsius * 9) / 5 + 32 : celsius;
  return Math.round(value * 10) / 10;
}

function forecastDay(date: Date, random: () => number, baseCelsius: number, units: 'metric' | 'imperial') {
  const tempMin = baseCelsius + (random() * 6 - 3);
  const tempMax = tempMin + 3 + random() * 9;
  const index = Math.floor(random() * SUMMARIES.length);
  const summary = tempMax < 2 && index >= 4 ? 'Snow' : (SUMMARIES[index] ?? 'Cloudy');
  const precipitationChance = Math.min(100, Math.max(0, index * 15 + Math.floor(random() * 4) * 5 - 5));
  return {
    date: date.toISOString().slice(0, 10),
    summary,
    tempMin: toUnits(tempMin, units),
    tempMax: toUnits(tempMax, units),
    precipitationChance,
  };
}

function forecast(url: URL) {
  const rawCity = url.searchParams.get('city')?.trim();
  if (!rawCity) throw new HttpError(400, 'missing_parameter', 'Query parameter "city" is required.');
  const days = intParam(url, 'days', 3, 1, 14);
  const units = url.searchParams.get('units') ?? 'metric';
  if (units !== 'metric' && units !== 'imperial') {
    throw new HttpError(400, 'invalid_parameter', '"units" must be "metric" or "imperial".');
  }
  const query = parseCityQuery(rawCity);
  if (!query.key || query.key === 'atlantis') {
    throw new HttpError(404, 'city_not_found', `No forecast for "${rawCity}".`);
  }
  const seed = hashOf(query.key);
  const random = seededRandom(seed);
  const baseCelsius = -5 + (seed % 30);
  const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  return {
    city: query.city,
    country: query.country ?? KNOWN_CITIES.get(query.key) ?? COUNTRIES[seed % COUNTRIES.length] ?? 'FR',
    days: Array.from({ length: days }, (_unused, offset) => {
      const date = new Date(today.getTime() + offset * 86_400_000);
      return forecastDay(date, random, baseCelsius, units);
    }),
  };
}

// ---- directory --------------------------------------------------------------------------------------------------

const GIVEN_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus'];
const FAMILY_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton'];

/** A made-up, deterministic profile for a seeded user id. */
function profileOf(userId: string): Record<string, unknown> {
  const n = Number(userId.slice(2));
  const name = `${GIVEN_NAMES[n % GIVEN_NAMES.length]} ${FAMILY_NAMES[n % FAMILY_NAMES.length]}`;
  return {
    id: userId,
    name,
    email: `${name.toLowerCase().replace(' ', '.')}@example.com`,
    plan: n % 3 === 0 ? 'enterprise' : n % 3 === 1 ? 'team' : 'free',
    createdAt: new Date(Date.UTC(2023, n % 12, (n % 27) + 1)).toISOString(),
    protected: userId === PROTECTED_USER,
  };
}

function seedDirectory(): Set<string> {
  return new Set(Array.from({ length: 11 }, (_unused, index) => `u-${1000 + index}`));
}

function parseDeletion(userId: string, body: unknown): DeletionRecord {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { reason, requestedBy, onBehalfOf } = fields;
  if (typeof reason !== 'string' || reason.trim().length === 0) {
    throw new HttpError(400, 'missing_reason', 'A JSON body with a non-empty "reason" is required.');
  }
  return {
    userId,
    reason,
    requestedBy: typeof requestedBy === 'string' ? requestedBy : undefined,
    onBehalfOf: typeof onBehalfOf === 'string' ? onBehalfOf : undefined,
    at: new Date().toISOString(),
  };
}

// ---- server -----------------------------------------------------------------------------------------------------

function createRouter(
  options: DemoUpstreamsOptions,
  directory: Set<string>,
  deletions: DeletionRecord[],
  counts: { deleteRequests: number },
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://upstream.local');
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');

    if (path === '/weather/forecast') {
      requireBearer(request, options.apiKeys.weather);
      if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'Use GET.');
      return sendJson(response, 200, forecast(url));
    }
    if (path === '/directory/users') {
      requireBearer(request, options.apiKeys.directory);
      if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'Use GET.');
      return sendJson(response, 200, { users: [...directory].sort() });
    }
    const userMatch = /^\/directory\/users\/([^/]+)$/.exec(path);
    if (userMatch?.[1]) {
      requireBearer(request, options.apiKeys.directory);
      const userId = decodePathSegment(userMatch[1]);
      if (method === 'GET') {
        if (!directory.has(userId)) throw new HttpError(404, 'user_not_found', 'No such user.');
        return sendJson(response, 200, profileOf(userId));
      }
      if (method !== 'DELETE') throw new HttpError(405, 'method_not_allowed', 'Use GET or DELETE.');
      counts.deleteRequests++;
      const record = parseDeletion(userId, await readJsonBody(request));
      if (userId === PROTECTED_USER) throw new HttpError(409, 'user_protected', 'This account is protected.');
      if (!directory.delete(userId)) throw new HttpError(404, 'user_not_found', 'No such user.');
      deletions.push(record);
      response.writeHead(204).end();
      return;
    }
    throw new HttpError(404, 'not_found', 'No such route.');
  };
}

function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
  } else if (error instanceof HttpError) {
    sendJson(response, error.status, { error: error.error, message: error.message });
  } else {
    sendJson(response, 500, { error: 'internal', message: 'The demo upstream failed.' });
  }
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_path', 'The user id is not validly percent-encoded.');
  }
}

function formatUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/** Starts both demo APIs on one loopback server (port 0 = any free port). */
export async function startDemoUpstreams(options: DemoUpstreamsOptions): Promise<DemoUpstreams> {
  const host = options.host ?? '127.0.0.1';
  const directory = seedDirectory();
  const deletions: DeletionRecord[] = [];
  const counts = { deleteRequests: 0 };
  const route = createRouter(options, directory, deletions, counts);

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => sendError(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: formatUrl(host, port),
    users: () => [...directory].sort(),
    deletions: () => deletions.map((record) => ({ ...record })),
    deleteRequests: () => counts.deleteRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
