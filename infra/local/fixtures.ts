import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The official MCP conformance suite's fixture tools, as ordinary tool folders. The local cluster serves them only
 * when asked (`npm start -- --conformance`, `npm run conformance`); no Lambda bundle or deploy ever contains them.
 */
export const CONFORMANCE_TOOLS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/conformance/tools');
