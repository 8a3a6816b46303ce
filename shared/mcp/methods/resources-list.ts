import type { Method } from '../dispatch/method.js';
import { listMethod } from './list-pages.js';

/** `resources/list`, both eras: one page of the static resources the caller may read (see `listMethod`). */
export function resourcesListMethod(options: { pageSize?: number; ttlMs: number }): Method {
  return listMethod('resources', 'resources/list', options);
}

/** `resources/templates/list`, both eras: one page of the resource templates the caller may read. */
export function resourceTemplatesListMethod(options: { pageSize?: number; ttlMs: number }): Method {
  return listMethod('resourceTemplates', 'resources/templates/list', options);
}
