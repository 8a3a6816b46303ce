import type { Registry } from '../../registry/registry.js';
import { rejection } from '../http-response.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { toolScopesOf, unionOf } from './scopes.js';

/** RFC 9728's well-known path; the metadata of the MCP endpoint is at `${base}${PROTECTED_RESOURCE_PATH}/mcp`. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

export function isProtectedResourceMetadataPath(path: string): boolean {
  return path.endsWith(PROTECTED_RESOURCE_PATH) || path.endsWith(`${PROTECTED_RESOURCE_PATH}/mcp`);
}

export interface ProtectedResourceMetadataOptions {
  /** The endpoint's base URL for a request (`PUBLIC_BASE_URL`, or what API Gateway reports). */
  baseUrlOf(request: HttpRequest): string;
  resourceName: string;
  /** Authorization servers whose tokens the endpoint accepts; none: the endpoint is not an OAuth protected resource. */
  authorizationServers: readonly string[];
  /** Scopes every caller needs; listed with the tools' scopes. */
  requiredScopes: readonly string[];
  registry: Registry;
}

/**
 * The OAuth 2.0 Protected Resource Metadata (RFC 9728) of the MCP endpoint: public, cacheable, read with GET. Its
 * `scopes_supported` are the endpoint's required scopes and every enabled tool's. Without an authorization server there
 * is no metadata to give (MCP requires at least one in it): 404, saying that the endpoint takes API keys, so that an OAuth
 * client stops looking for a sign-in that does not exist.
 */
export function protectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): (request: HttpRequest) => Promise<HttpResponse> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return rejection(405, 'InvalidRequest', 'The protected-resource metadata is read with GET.', { allow: 'GET' });
    }
    if (options.authorizationServers.length === 0) {
      return {
        statusCode: 404,
        headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
        body: JSON.stringify({
          error: 'not_found',
          error_description:
            'This endpoint accepts API keys only (no OAuth authorization server is configured): send "Authorization: Bearer <key>".',
        }),
      };
    }
    let toolScopes: readonly string[] = [];
    try {
      toolScopes = toolScopesOf(await options.registry.snapshot()).all;
    } catch {
      // the metadata is still useful without the tools' scopes
    }
    const body = {
      resource: `${options.baseUrlOf(request)}/mcp`,
      authorization_servers: options.authorizationServers,
      bearer_methods_supported: ['header'],
      scopes_supported: unionOf(options.requiredScopes, toolScopes).sort(),
      resource_name: options.resourceName,
    };
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      body: JSON.stringify(body),
    };
  };
}
