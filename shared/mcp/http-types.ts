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
  /**
   * Starts the response and returns a stream its body is written to as it is produced, when the transport streams
   * (Lambda response streaming, the local front). Without it, an event-stream answer is sent whole.
   */
  openStream?(statusCode: number, headers: Record<string, string>): ResponseStream;
}

/** The body of a response being streamed: written in chunks, then ended. */
export interface ResponseStream {
  write(chunk: string): void;
  end(): void;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** The response was written through `HttpRequest.openStream` already: status, headers and body are sent. */
  streamed?: boolean;
}
