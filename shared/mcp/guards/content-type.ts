import { rejection } from '../http-response.js';
import type { Guard } from './guard.js';

/** `application/json`, with or without parameters, in any case. */
export function isJsonMediaType(value: string | undefined): boolean {
  return value !== undefined && value.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/** A message is JSON: any other `Content-Type` gets 415. */
export function contentTypeGuard(): Guard {
  return (request) =>
    isJsonMediaType(request.headers['content-type'])
      ? undefined
      : rejection(415, 'InvalidRequest', 'Content-Type must be application/json.');
}
