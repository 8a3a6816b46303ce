import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './http-types.js';

/** API Gateway REST API proxy event (payload v1) → the endpoint's request. Header names are lower-cased. */
export function fromApiGatewayEvent(
  event: APIGatewayProxyEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    const key = name.toLowerCase();
    // API Gateway puts only the last value of a repeated header in `headers`; the full list is here.
    if (values && values.length > 1) headers[key] = values.join(', ');
  }
  const body =
    event.body == null
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    baseUrl: gatewayBaseUrl(event),
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    headers,
    body,
    requestId: event.requestContext?.requestId ?? 'unknown',
    remainingMs: () => context.getRemainingTimeInMillis(),
  };
}

export function toApiGatewayResult(response: HttpResponse): APIGatewayProxyResult {
  return { statusCode: response.statusCode, headers: response.headers, body: response.body, isBase64Encoded: false };
}

/**
 * The base URL from API Gateway's own request context (its domain and stage), never from forwarded headers a client
 * can set. On the default execute-api domain the stage is part of the path; on a custom domain it is not.
 */
function gatewayBaseUrl(event: APIGatewayProxyEvent): string | undefined {
  const { domainName, stage } = event.requestContext ?? {};
  if (!domainName) return undefined;
  return domainName.endsWith('.amazonaws.com') && stage ? `https://${domainName}/${stage}` : `https://${domainName}`;
}
