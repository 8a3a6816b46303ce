import { ToolError } from '../errors/errors.js';
import type { Redactor } from '../logging/redactor.js';
import type { HttpAuth } from './spec.js';

/** The binding name an HTTP tool's secret is resolved under (`ServedTool.secrets`). */
export const AUTH_SECRET_BINDING = 'auth';

export interface InjectedAuth {
  headers: Record<string, string>;
  query?: [string, string];
  /** Header names carrying the credential (never sent to another host). */
  credentialHeaders: string[];
}

function misconfigured(why: string): ToolError {
  // Names the problem, never the value: the model cannot fix it, an operator can.
  return new ToolError(
    'CREDENTIAL_INVALID',
    `The tool's credential is misconfigured (${why}); ask an operator to fix it.`,
  );
}

function parseJsonObject(value: string): Record<string, unknown> | undefined {
  if (!value.trimStart().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The credential in a secret: the whole value, or for a JSON object the `field` named (without one: its only string
 * field, or `apiKey`/`token`).
 */
export function credentialOf(secret: string, field?: string): string {
  const object = parseJsonObject(secret);
  if (!object) {
    if (field) throw misconfigured(`the secret is not a JSON object with "${field}"`);
    if (!secret) throw misconfigured('the secret is empty');
    return secret;
  }
  const strings = Object.entries(object).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  const chosen = field ? object[field] : strings.length === 1 ? strings[0]![1] : (object.apiKey ?? object.token);
  if (typeof chosen !== 'string' || !chosen) {
    throw misconfigured(field ? `no string "${field}" in the secret` : 'say which field of the JSON secret to use');
  }
  return chosen;
}

function basicPair(secret: string): string {
  const object = parseJsonObject(secret);
  if (object) {
    if (typeof object.username !== 'string' || typeof object.password !== 'string') {
      throw misconfigured('a basic-auth secret holds "user:password" or {"username","password"}');
    }
    return `${object.username}:${object.password}`;
  }
  if (!secret.includes(':'))
    throw misconfigured('a basic-auth secret holds "user:password" or {"username","password"}');
  return secret;
}

/**
 * A credential as a header can carry it: a trailing line break (a secret stored with `echo`) is dropped, anything else
 * a header cannot hold is a misconfigured secret, reported without the value.
 */
function headerSafe(value: string): string {
  const trimmed = value.replace(/[\r\n]+$/, '');
  if (/[^\t\u0020-\u007e\u0080-\u00ff]/.test(trimmed)) {
    throw misconfigured('the value has characters an HTTP header cannot carry');
  }
  return trimmed;
}

/**
 * Headers (or the query parameter) that authenticate a request. Encoded forms of the credential (base64 for basic,
 * percent-encoding for the query) are registered with the redactor too, so an upstream echoing them is scrubbed.
 */
export function injectAuth(auth: HttpAuth, secret: string | undefined, redactor?: Redactor): InjectedAuth {
  if (secret === undefined) throw misconfigured('no secret value');
  switch (auth.type) {
    case 'bearer': {
      const token = headerSafe(credentialOf(secret, auth.field));
      redactor?.add(token);
      redactor?.add(Buffer.from(token, 'utf8').toString('base64'));
      return { headers: { authorization: `Bearer ${token}` }, credentialHeaders: ['authorization'] };
    }
    case 'header': {
      const value = headerSafe(credentialOf(secret, auth.field));
      redactor?.add(value);
      redactor?.add(Buffer.from(value, 'utf8').toString('base64'));
      return { headers: { [auth.name]: `${auth.prefix ?? ''}${value}` }, credentialHeaders: [auth.name] };
    }
    case 'query': {
      const value = credentialOf(secret, auth.field).replace(/[\r\n]+$/, '');
      redactor?.add(value);
      redactor?.add(encodeURIComponent(value));
      redactor?.add(new URLSearchParams({ v: value }).toString().slice(2));
      return { headers: {}, query: [auth.name, value], credentialHeaders: [] };
    }
    case 'basic': {
      const pair = basicPair(secret.replace(/[\r\n]+$/, ''));
      const encoded = Buffer.from(pair, 'utf8').toString('base64');
      redactor?.add(pair);
      redactor?.add(pair.slice(pair.indexOf(':') + 1));
      redactor?.add(encoded);
      return { headers: { authorization: `Basic ${encoded}` }, credentialHeaders: ['authorization'] };
    }
  }
}
