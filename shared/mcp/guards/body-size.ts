import { rejection } from '../http-response.js';
import type { Guard } from './guard.js';

/** Refuses a body over `maxBytes` with 413, before it is parsed. */
export function bodySizeGuard(options: { maxBytes: number }): Guard {
  return (request) => {
    const size = Buffer.byteLength(request.body ?? '', 'utf8');
    return size > options.maxBytes
      ? rejection(413, 'InvalidRequest', `Request body is ${size} bytes; the limit is ${options.maxBytes}.`)
      : undefined;
  };
}
