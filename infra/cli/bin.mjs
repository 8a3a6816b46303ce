#!/usr/bin/env node
// `npx mcp-cluster ...`: the admin CLI, run from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
