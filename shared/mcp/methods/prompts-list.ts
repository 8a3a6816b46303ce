import type { Method } from '../dispatch/method.js';
import { listMethod } from './list-pages.js';

/** `prompts/list`, both eras: one page of the prompts the caller may get (see `listMethod`). */
export function promptsListMethod(options: { pageSize?: number; ttlMs: number }): Method {
  return listMethod('prompts', 'prompts/list', options);
}
