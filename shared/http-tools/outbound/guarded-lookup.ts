import type { LookupAddress } from 'node:dns';
import { Resolver, lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { type AddressClass, type AddressPolicy, classifyAddress } from './address-policy.js';

/** Code of the error a refused address raises (on the request, through `lookup`). */
export const OUTBOUND_FORBIDDEN = 'OUTBOUND_FORBIDDEN';

export class OutboundForbiddenError extends Error {
  readonly code = OUTBOUND_FORBIDDEN;
  readonly host: string;
  /** The answer that was refused, and its class. */
  readonly address: string;
  readonly addressClass: AddressClass;

  constructor(host: string, why: string, address: string) {
    super(`${host} resolves to ${why}`);
    this.name = 'OutboundForbiddenError';
    this.host = host;
    this.address = address;
    this.addressClass = classifyAddress(address);
  }
}

export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

/**
 * Resolves names with the system resolver (getaddrinfo, as Node does), or with the given DNS servers
 * (`127.0.0.1:5353`, `[::1]:53`) when there are any.
 */
export function createResolver(dnsServers: readonly string[] = []): Resolve {
  if (dnsServers.length === 0) {
    return (hostname) => systemLookup(hostname, { all: true, verbatim: true });
  }
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([...dnsServers]);
  const none = (error: unknown): string[] => {
    const code = (error as { code?: string }).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
    throw error;
  };
  return async (hostname) => {
    const [v4, v6] = await Promise.all([
      resolver.resolve4(hostname).catch(none),
      resolver.resolve6(hostname).catch(none),
    ]);
    const addresses = [
      ...v4.map((address) => ({ address, family: 4 })),
      ...v6.map((address) => ({ address, family: 6 })),
    ];
    if (addresses.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    }
    return addresses;
  };
}

/**
 * A `lookup` for `http.request` that resolves the name, refuses the connection if any answer is an address the policy
 * forbids, and hands the checked addresses to the socket: the connection goes to exactly what was checked, so a second
 * DNS answer cannot slip a different address in (no rebinding between check and connect).
 */
export function guardedLookup(resolve: Resolve, policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const done = callback as (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void;
    const literal = isIP(hostname) ? [{ address: hostname, family: isIP(hostname) }] : undefined;
    (literal ? Promise.resolve(literal) : resolve(hostname)).then(
      (answers) => {
        for (const answer of answers) {
          const why = policy.refusal(answer.address);
          if (why) {
            return done(new OutboundForbiddenError(hostname, why, answer.address), options.all ? [] : '', undefined);
          }
        }
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = wanted ? answers.filter((answer) => answer.family === wanted) : answers;
        if (usable.length === 0) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          return done(error, options.all ? [] : '', undefined);
        }
        if (options.all) return done(null, usable);
        return done(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => done(error, options.all ? [] : '', undefined),
    );
  };
}
