import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * The Lambda side of the SDK recipes: an API Gateway REST proxy event (payload v1) becomes a web `Request`, and the
 * recipe's web `Response` becomes a proxy result. What a user of either SDK writes to serve it from Lambda.
 */
export function toRequest(event: APIGatewayProxyEvent): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
  const host = headers.get('host') ?? event.requestContext?.domainName ?? 'localhost';
  const hasBody = event.body != null && event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD';
  return new Request(`https://${host}${event.path}`, {
    method: event.httpMethod,
    headers,
    ...(hasBody
      ? { body: event.isBase64Encoded ? Buffer.from(event.body as string, 'base64') : (event.body as string) }
      : {}),
  });
}

/** A web `Response` (read to its end) → an API Gateway proxy result. */
export async function toProxyResult(response: Response): Promise<APIGatewayProxyResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { statusCode: response.status, headers, body: await response.text(), isBase64Encoded: false };
}
