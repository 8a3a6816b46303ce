import type { Method } from '../dispatch/method.js';
import { listMethod } from './list-pages.js';

/** `tools/list`, both eras: one page of the tools the caller may call (see `listMethod`). */
export function toolsListMethod(options: { pageSize?: number; ttlMs: number }): Method {
  return listMethod('tools', 'tools/list', options);
}
