import { ToolError } from '../errors/errors.js';
import type { ArgumentLocation, HttpRequestSpec } from './spec.js';

/**
 * How a call's arguments become an HTTP request, decided once per manifest: each argument's location and wire name.
 * Arguments not listed in the spec's `arguments`: `{placeholder}` names go to the path; the rest to the query for
 * GET/HEAD/OPTIONS/DELETE and to the JSON body otherwise.
 */
export interface RequestPlan {
  method: HttpRequestSpec['method'];
  /** The URL template, `{placeholders}` included. */
  template: string;
  /** Placeholder names in the template, in order. */
  placeholders: readonly string[];
  /** Argument name → where it goes and under which name. */
  locations: ReadonlyMap<string, { in: ArgumentLocation; name: string }>;
  /** Where arguments not named in the input schema's properties go. */
  defaultLocation: 'query' | 'body';
  staticHeaders: Readonly<Record<string, string>>;
  /** Send `{}` when no argument goes to the body (`request.bodyRequired`). */
  bodyRequired: boolean;
}

export interface MappedRequest {
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

const PLACEHOLDER = /\{([^{}]+)\}/g;
const BODYLESS_DEFAULT = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);
/** Headers an argument or a static header may never set: the platform owns them. */
export const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
]);

/** Checks a spec's request against its input schema's properties; throws naming every problem. */
export function planRequest(
  spec: HttpRequestSpec,
  properties: readonly string[],
  reservedHeader?: string,
): RequestPlan {
  const { problems, plan } = analyseRequest(spec, properties, reservedHeader);
  if (problems.length) throw new Error(problems.join('; '));
  return plan;
}

/**
 * Every reason a spec's request cannot work with these input schema properties (none: it can), each naming its field
 * (`request.url: …`, `request.arguments.id: …`): what `planRequest` refuses, all at once.
 */
export function requestProblems(
  spec: HttpRequestSpec,
  properties: readonly string[],
  reservedHeader?: string,
): string[] {
  return analyseRequest(spec, properties, reservedHeader).problems;
}

/** The plan for a request and every problem with it (the plan is usable only without problems). */
export function analyseRequest(
  spec: HttpRequestSpec,
  properties: readonly string[],
  reservedHeader: string | undefined,
): { problems: string[]; plan: RequestPlan } {
  const problems: string[] = [];
  const placeholders = [...spec.url.matchAll(PLACEHOLDER)].map((match) => match[1]!);
  let probe: URL | undefined;
  try {
    probe = new URL(spec.url.replace(PLACEHOLDER, 'x'));
  } catch {
    problems.push(`request.url: ${JSON.stringify(spec.url)} is not an absolute URL`);
  }
  if (probe && probe.protocol !== 'http:' && probe.protocol !== 'https:') {
    problems.push('request.url: only http and https URLs are called');
  }
  if (probe && (probe.username || probe.password)) {
    problems.push('request.url: must not carry credentials (use auth)');
  }
  if (
    spec.url
      .split('?')[0]!
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0]!
      .includes('{')
  ) {
    problems.push('request.url: must not have placeholders in its host');
  }

  const reserved = new Set(RESERVED_HEADERS);
  if (reservedHeader) reserved.add(reservedHeader.toLowerCase());
  const locations = new Map<string, { in: ArgumentLocation; name: string }>();
  const placeholderArgs = new Set<string>();
  for (const [argument, mapping] of Object.entries(spec.arguments ?? {})) {
    const name = mapping.name ?? argument;
    if (mapping.in === 'path') {
      if (!placeholders.includes(name)) problems.push(`request.arguments.${argument}: the URL has no {${name}}`);
      placeholderArgs.add(name);
    }
    if (mapping.in === 'header' && reserved.has(name.toLowerCase())) {
      problems.push(`request.arguments.${argument}: may not set the ${name} header`);
    }
    locations.set(argument, { in: mapping.in, name });
  }
  for (const placeholder of new Set(placeholders)) {
    if (placeholderArgs.has(placeholder)) continue;
    if (locations.has(placeholder) || !properties.includes(placeholder)) {
      problems.push(`request.url: no argument fills {${placeholder}} (add it to inputSchema.properties)`);
      continue;
    }
    locations.set(placeholder, { in: 'path', name: placeholder });
  }
  const defaultLocation = BODYLESS_DEFAULT.has(spec.method) ? 'query' : 'body';
  for (const property of properties) {
    if (!locations.has(property)) locations.set(property, { in: defaultLocation, name: property });
  }
  const wholeBody = [...locations.values()].filter((l) => l.in === 'whole-body').length;
  if (wholeBody > 1) problems.push('request.arguments: at most one argument can be the whole body');
  if (wholeBody === 1 && [...locations.values()].some((l) => l.in === 'body')) {
    problems.push('request.arguments: an argument is the whole body, so no other can be a body property');
  }
  for (const name of Object.keys(spec.headers ?? {})) {
    if (reserved.has(name.toLowerCase())) {
      problems.push(`request.headers.${name}: set by the platform or by auth, never as a fixed header`);
    }
  }
  return {
    problems,
    plan: {
      method: spec.method,
      template: spec.url,
      placeholders,
      locations,
      defaultLocation,
      staticHeaders: { ...(spec.headers ?? {}) },
      bodyRequired: spec.bodyRequired === true,
    },
  };
}

/** The placeholders the arguments leave empty (reported as missing required arguments). */
export function missingPathArguments(plan: RequestPlan, args: Record<string, unknown>): string[] {
  const missing: string[] = [];
  for (const [argument, location] of plan.locations) {
    if (location.in === 'path' && (args[argument] === undefined || args[argument] === null)) missing.push(argument);
  }
  return missing;
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function headerValue(argument: string, value: unknown): string {
  const text = Array.isArray(value) ? value.map(scalar).join(', ') : scalar(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) {
    throw new ToolError('INVALID_ARGUMENTS', `Argument "${argument}" cannot be sent as a header: it has line breaks.`);
  }
  if (/[^\t\u0020-\u007e\u0080-\u00ff]/.test(text)) {
    throw new ToolError(
      'INVALID_ARGUMENTS',
      `Argument "${argument}" cannot be sent as a header: HTTP headers hold Latin-1 text only; drop or transliterate the other characters.`,
    );
  }
  return text;
}

/**
 * The request for one call. Values are percent-encoded for the path and query; `undefined` arguments are left out, and
 * a call whose arguments fill no part of the body sends none (unless the manifest says `bodyRequired`: then `{}`).
 */
export function mapRequest(plan: RequestPlan, args: Record<string, unknown>): MappedRequest {
  const pathValues = new Map<string, string>();
  const query: [string, string][] = [];
  const headers: Record<string, string> = {};
  const bodyFields: Record<string, unknown> = {};
  let wholeBody: { value: unknown } | undefined;

  const place = (argument: string, value: unknown, location: { in: ArgumentLocation; name: string }) => {
    switch (location.in) {
      case 'path': {
        const encoded = Array.isArray(value)
          ? value.map((item) => encodeURIComponent(scalar(item))).join(',')
          : encodeURIComponent(scalar(value));
        // URLs resolve `.`/`..` segments (percent-encoded ones too): a path argument must not climb out of its place.
        if (/^(\.|%2e){1,2}$/i.test(encoded)) {
          throw new ToolError('INVALID_ARGUMENTS', `Argument "${argument}" cannot be "." or "..".`);
        }
        pathValues.set(location.name, encoded);
        break;
      }
      case 'query':
        if (value === null) break;
        for (const item of Array.isArray(value) ? value : [value]) query.push([location.name, scalar(item)]);
        break;
      case 'header':
        if (value === null) break;
        headers[location.name] = headerValue(argument, value);
        break;
      case 'body':
        bodyFields[location.name] = value;
        break;
      case 'whole-body':
        wholeBody = { value };
        break;
    }
  };

  for (const [argument, value] of Object.entries(args)) {
    if (value === undefined) continue;
    place(argument, value, plan.locations.get(argument) ?? { in: plan.defaultLocation, name: argument });
  }

  const url = new URL(plan.template.replace(PLACEHOLDER, (_, name: string) => pathValues.get(name) ?? ''));
  for (const [name, value] of query) url.searchParams.append(name, value);

  let body: string | undefined;
  if (wholeBody) body = JSON.stringify(wholeBody.value);
  else if (Object.keys(bodyFields).length > 0) body = JSON.stringify(bodyFields);
  else if (plan.bodyRequired) body = '{}';
  return {
    url,
    headers: {
      // A JSON body is sent as `application/json` unless the manifest names its own JSON media type.
      ...(body === undefined || hasHeader(plan.staticHeaders, 'content-type')
        ? {}
        : { 'content-type': 'application/json' }),
      ...plan.staticHeaders,
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  };
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((header) => header.toLowerCase() === name);
}
