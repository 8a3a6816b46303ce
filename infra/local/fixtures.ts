import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The official MCP conformance suite's fixture tools, as ordinary tool folders. The local cluster serves them only
 * when asked (`npm start -- --conformance`, `npm run conformance`); no Lambda bundle or deploy ever contains them.
 */
export const CONFORMANCE_TOOLS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/conformance/tools');

/** The fixture's resources and prompts, served beside its tools. */
export const CONFORMANCE_RESOURCES_DIR = resolve(CONFORMANCE_TOOLS_DIR, '../resources');
export const CONFORMANCE_PROMPTS_DIR = resolve(CONFORMANCE_TOOLS_DIR, '../prompts');

/** Everything `startLocalCluster` needs to serve the conformance fixture. */
export const CONFORMANCE_FIXTURE = {
  extraToolDirs: [CONFORMANCE_TOOLS_DIR],
  extraResourceDirs: [CONFORMANCE_RESOURCES_DIR],
  extraPromptDirs: [CONFORMANCE_PROMPTS_DIR],
} as const;
