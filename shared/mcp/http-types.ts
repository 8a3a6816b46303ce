/** The request the endpoint sees, independent of how it arrived (API Gateway event, local front, benchmark). */
export interface HttpRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string | undefined;
  /** API Gateway's request id: correlates logs, audit records and the response. */
  requestId: string;
  /** The endpoint's base URL as the gateway (not the client) reports it, e.g. `https://abc.execute-api.../prod`. */
  baseUrl?: string;
  /** Milliseconds until the function must have answered. */
  remainingMs(): number;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
