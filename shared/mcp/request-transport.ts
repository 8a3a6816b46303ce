import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { JsonRpcId } from './json-rpc.js';

/**
 * The SDK transport for one HTTP request: messages are handed to the SDK server directly and its responses are
 * collected by id. Nothing streams, nothing outlives the request: the stateless shape Lambda needs.
 */
export class RequestTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: Transport['onclose'];
  onerror?: Transport['onerror'];
  readonly #pending = new Map<JsonRpcId, (message: JSONRPCMessage) => void>();

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    // Server-initiated requests and notifications (progress, logging) have no channel back in a JSON response.
    if (!('id' in message) || message.id === undefined || !('result' in message || 'error' in message)) return;
    const resolve = this.#pending.get(message.id);
    if (resolve) {
      this.#pending.delete(message.id);
      resolve(message);
    }
  }

  /** Hands one request to the server and resolves with its response. */
  exchange(message: JSONRPCMessage & { id: JsonRpcId }): Promise<JSONRPCMessage> {
    return new Promise((resolve) => {
      this.#pending.set(message.id, resolve);
      this.onmessage?.(message);
    });
  }

  /** Hands a notification to the server; there is no response. */
  notify(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }
}
