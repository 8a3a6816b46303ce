import type { AuthError } from '../../errors/errors.js';
import { errorHttpResponse } from '../http-response.js';
import type { HttpResponse } from '../http-types.js';
import { JsonRpcError, type JsonRpcId } from '../json-rpc.js';

const quote = (value: string) => value.replace(/["\\]/g, '');

export interface ChallengeOptions {
  /**
   * The protected-resource metadata URL of the endpoint for this request (RFC 9728); absent when no authorization
   * server is configured, and the endpoint is then no OAuth protected resource.
   */
  metadataUrl?: string;
  /** The scopes a client should request for this request (RFC 6750 §3 `scope`); none: the attribute is left out. */
  scopes: readonly string[];
  /** The realm named when there is no metadata to point at. */
  realm: string;
}

/**
 * A refused credential (RFC 6750 + RFC 9728 + MCP authorization), and a JSON-RPC error that echoes the request's id:
 * - with an authorization server: 401 (or 403 insufficient_scope) with a `WWW-Authenticate: Bearer` challenge that says
 *   where the metadata is, which scopes to request and what was wrong;
 * - without one (API keys only): 401 with a plain `Bearer` challenge when no credential was sent, and 403 with the
 *   reason when one was sent and refused. A 401 makes MCP clients start an OAuth sign-in whatever the challenge says
 *   (metadata, client registration, then other transports), and they end on an error about that instead of showing
 *   why the key was refused; no sign-in can fix a bad key here, so the refusal is final, and says so in its body.
 */
export function authChallenge(
  id: JsonRpcId | null,
  error: Pick<AuthError, 'status' | 'reason' | 'message'>,
  options: ChallengeOptions,
): HttpResponse {
  const oauth = options.metadataUrl !== undefined;
  const noCredential = error.reason === 'invalid_request' && error.status === 401;
  if (!oauth && error.status !== 400 && !noCredential) {
    return errorHttpResponse(id, new JsonRpcError('InvalidRequest', error.message, { status: 403 }));
  }
  const params = oauth ? [`resource_metadata="${options.metadataUrl}"`] : [`realm="${quote(options.realm)}"`];
  if (options.scopes.length) params.push(`scope="${quote(options.scopes.join(' '))}"`);
  // A request with no credential at all gets no error code (RFC 6750 §3.1); every other refusal says what was wrong.
  if (!noCredential) params.push(`error="${error.reason}"`, `error_description="${quote(error.message)}"`);
  return errorHttpResponse(
    id,
    new JsonRpcError('InvalidRequest', error.message, {
      status: error.status,
      headers: { 'www-authenticate': `Bearer ${params.join(', ')}` },
    }),
  );
}
