/**
 * The author's API, in one entry: `import { defineTool, ToolError } from 'mcp-cluster/tools'`. Everything a folder
 * tool, resource or prompt (functions/{tools,resources,prompts}/<name>/) and its test use is here; the rest of shared/
 * is the platform's.
 */
export type { Principal } from '../auth/principal.js';
export { ToolError } from '../errors/errors.js';
export { createLogger, type Logger } from '../logging/logger.js';
export {
  definePrompt,
  type PromptArgumentSpec,
  type PromptContent,
  type PromptMessage,
  type PromptResult,
  type PromptSpec,
} from './define-prompt.js';
export {
  type CatalogEntry,
  type Completer,
  defineResource,
  type ItemContext,
  type ReadResult,
  type ResourceAnnotations,
  type ResourceContent,
  type ResourceSpec,
} from './define-resource.js';
export {
  type ArgumentIssue,
  defineTool,
  type ElicitationAnswer,
  type ElicitationRequest,
  type InputKind,
  type JsonSchemaInput,
  jsonSchemaInput,
  type LogLevel,
  type SamplingAnswer,
  type SamplingRequest,
  type TextContent,
  type ToolAnnotations,
  type ToolContent,
  type ToolContext,
  type ToolSpec,
  type UnstructuredResult,
} from './define-tool.js';
export { type HttpCredential, isAbort, parseHttpCredential } from './http-credential.js';
export { runTool, type StubServer, startStubServer, TEST_PRINCIPAL, toolContext } from './testing.js';
