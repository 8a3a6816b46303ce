import type { AuthError } from '../../errors/errors.js';
import { errorHttpResponse } from '../http-response.js';
import type { HttpResponse } from '../http-types.js';
import { JsonRpcError, type JsonRpcId } from '../json-rpc.js';

const quote = (value: string) => value.replace(/["\\]/g, '');

export interface ChallengeOptions {
  /** The protected-resource metadata URL of the endpoint for this request (RFC 9728). */
  metadataUrl: string;
  /** Scopes every caller needs, named in the challenge so a client knows what to ask its authorization server for. */
  requiredScopes: readonly string[];
}

/**
 * A refused credential (RFC 6750 + RFC 9728): 401 or 403 with a `WWW-Authenticate: Bearer` challenge that says where
 * the metadata is, which scopes to ask for and what was wrong, and a JSON-RPC error that echoes the request's id.
 */
export function authChallenge(
  id: JsonRpcId | null,
  error: Pick<AuthError, 'status' | 'reason' | 'message'>,
  options: ChallengeOptions,
): HttpResponse {
  const params = [`resource_metadata="${options.metadataUrl}"`];
  if (options.requiredScopes.length) params.push(`scope="${quote(options.requiredScopes.join(' '))}"`);
  // A request with no credential at all gets no error code (RFC 6750 §3.1); every other refusal says what was wrong.
  if (error.reason !== 'invalid_request' || error.status === 400) {
    params.push(`error="${error.reason}"`, `error_description="${quote(error.message)}"`);
  }
  return errorHttpResponse(
    id,
    new JsonRpcError('InvalidRequest', error.message, {
      status: error.status,
      headers: { 'www-authenticate': `Bearer ${params.join(', ')}` },
    }),
  );
}
