import type { HttpResponse, ResponseStream } from '../http-types.js';

/** The headers of an answer sent as an event stream (MCP Streamable HTTP: one POST answered with SSE). */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-store',
  'x-accel-buffering': 'no',
});

/** One JSON-RPC message as an SSE event: `event: message`, one `data:` line (JSON text has no raw newline). */
export function sseEvent(json: string): string {
  return `event: message\ndata: ${json}\n\n`;
}

/**
 * The answer to one request that may become an event stream: it stays JSON until the first notification, which turns
 * it into `text/event-stream` (the notifications, then the response, then the end), as the MCP SDK's `auto` response
 * mode does. When the transport can stream (`open`), each event is written as it is sent; otherwise the events are
 * kept and the whole stream is the body of the answer.
 */
export class EventStreamAnswer {
  readonly #open: ((statusCode: number, headers: Record<string, string>) => ResponseStream) | undefined;
  readonly #events: string[] = [];
  #stream: ResponseStream | undefined;
  #count = 0;
  #ended = false;

  constructor(open?: (statusCode: number, headers: Record<string, string>) => ResponseStream) {
    this.#open = open;
  }

  /** Whether a notification was sent, so that the answer is an event stream. */
  get started(): boolean {
    return this.#count > 0;
  }

  /** Whether the events reach the client as they are sent. */
  get live(): boolean {
    return this.#stream !== undefined;
  }

  /** Sends a notification (serialized JSON-RPC). After the answer it is dropped: the stream has ended. */
  send(notification: string): void {
    if (this.#ended) return;
    this.#count++;
    const event = sseEvent(notification);
    if (this.#open) {
      this.#stream ??= this.#open(200, { ...EVENT_STREAM_HEADERS });
      this.#stream.write(event);
    } else {
      this.#events.push(event);
    }
  }

  /**
   * Ends the stream with the request's answer (serialized JSON-RPC response) and returns the HTTP response: the whole
   * stream when it was kept, or a marker that it was written already. Only the first call ends it.
   */
  finish(answer: string): HttpResponse {
    const headers = { ...EVENT_STREAM_HEADERS };
    if (this.#ended) return { statusCode: 200, headers, body: '', streamed: this.live };
    this.#ended = true;
    if (this.#stream) {
      this.#stream.write(sseEvent(answer));
      this.#stream.end();
      return { statusCode: 200, headers, body: '', streamed: true };
    }
    return { statusCode: 200, headers, body: `${this.#events.join('')}${sseEvent(answer)}` };
  }
}
