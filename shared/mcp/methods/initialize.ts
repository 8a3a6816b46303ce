import type { Implementation, InitializeResult, ServerCapabilities } from '@modelcontextprotocol/server';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import { isLegacyProtocolVersion, LATEST_LEGACY_PROTOCOL_VERSION } from '../protocol/versions.js';

const invalid = (field: string, why: string) =>
  new JsonRpcError('InvalidParams', `Invalid params: "${field}" ${why}.`, { data: { field } });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `initialize` (legacy era): the client proposes a version and the server answers with it if it speaks it, else with
 * its latest legacy version. Nothing is kept: the next request may reach any instance, which serves it statelessly.
 * `logging` is declared because `logging/setLevel` is accepted (and honoured for nothing beyond its own request).
 */
export function initializeMethod(options: {
  serverInfo: Implementation;
  instructions?: string;
  capabilities: ServerCapabilities;
}): Method {
  return {
    eras: ['legacy'],
    handle(params) {
      const { protocolVersion, capabilities, clientInfo } = params;
      if (typeof protocolVersion !== 'string') throw invalid('protocolVersion', 'is required and must be a string');
      if (!isObject(capabilities)) throw invalid('capabilities', 'is required and must be an object');
      if (!isObject(clientInfo)) throw invalid('clientInfo', 'is required: an object with a name and a version');
      if (typeof clientInfo.name !== 'string') throw invalid('clientInfo.name', 'is required and must be a string');
      if (typeof clientInfo.version !== 'string') {
        throw invalid('clientInfo.version', 'is required and must be a string');
      }
      const result: InitializeResult = {
        protocolVersion: isLegacyProtocolVersion(protocolVersion) ? protocolVersion : LATEST_LEGACY_PROTOCOL_VERSION,
        capabilities: options.capabilities,
        serverInfo: options.serverInfo,
        ...(options.instructions ? { instructions: options.instructions } : {}),
      };
      return { value: result };
    },
  };
}
