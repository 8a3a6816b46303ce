/**
 * Helpers for tool authors' tests (exported by the authors' entry, shared/tools/index.ts). Use them from
 * `tool.test.ts`: a Lambda bundle leaves them out.
 *
 *   const result = await runTool<{ result: number }>(calculate, { expression: '1 + 2' });
 *   await assert.rejects(runTool(tool, args, { secrets: { weather: 'not json' } }), { code: 'CREDENTIAL_INVALID' });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../auth/principal.js';
import { ToolError } from '../errors/errors.js';
import { createLogger } from '../logging/logger.js';
import type { CodeToolDefinition, ToolContext } from './define-tool.js';

/** The caller tests run as unless they say otherwise: an API-key agent holding every scope. */
// Marked pure so a bundle of a tool that imports the authors' entry leaves these helpers out.
export const TEST_PRINCIPAL: Readonly<Principal> = /* @__PURE__ */ Object.freeze({
  agentId: 'test-agent',
  tenant: 'test',
  scopes: /* @__PURE__ */ Object.freeze(['*']),
  method: 'api-key',
  credentialId: 'test-key',
});

/** A complete `ToolContext` for tests: a silent logger, no secrets, a signal that never aborts; override any part. */
export function toolContext(overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    secrets: {},
    principal: TEST_PRINCIPAL,
    logger: createLogger({ level: 'silent' }),
    signal: new AbortController().signal,
    requestId: 'test-request',
    progress: () => undefined,
    log: () => undefined,
    canAsk: () => false,
    elicit: () => Promise.reject(new ToolError('INPUT_UNAVAILABLE', 'No client answers input requests in this test.')),
    sample: () => Promise.reject(new ToolError('INPUT_UNAVAILABLE', 'No client answers input requests in this test.')),
    listRoots: () =>
      Promise.reject(new ToolError('INPUT_UNAVAILABLE', 'No client answers input requests in this test.')),
    ...overrides,
  };
}

/**
 * Calls a tool the way the platform does: `args` are parsed with the tool's input schema first (so defaults apply
 * and a bad argument throws a ZodError before `run` is reached), then `run` gets the parsed args and a test context.
 * When the tool declares an output schema, the result is checked against it, so a test also proves the tool keeps
 * its promise to clients. `Result` is only a cast for the test's convenience.
 */
export async function runTool<Result = unknown>(
  tool: CodeToolDefinition,
  args: unknown,
  ctxOverrides: Partial<ToolContext> = {},
): Promise<Result> {
  let parsedArgs: unknown;
  if ('jsonSchema' in tool.input) {
    await tool.ready?.();
    const checked = tool.validate(args);
    if (!checked.success) {
      throw new Error(`Invalid arguments: ${checked.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    }
    parsedArgs = checked.data;
  } else {
    parsedArgs = tool.input.parse(args);
  }
  const result = await tool.run(parsedArgs, toolContext(ctxOverrides));
  if (tool.output) assertMatchesOutput(tool, result);
  return result as Result;
}

function assertMatchesOutput(tool: CodeToolDefinition, result: unknown): void {
  const checked = tool.output?.safeParse(result);
  if (checked && !checked.success) {
    const problems = checked.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(
      `Tool "${tool.name}" returned a result that does not match its output schema: ${problems.join('; ')}`,
    );
  }
}

export interface StubServer {
  /** Base URL, e.g. `http://127.0.0.1:53122` (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/**
 * A throwaway HTTP server on a free loopback port, for upstream behaviour the demo upstreams do not offer
 * (a 500, a malformed body, a request that never gets an answer). `close` also drops open connections.
 */
export async function startStubServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<StubServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
