/**
 * The hosts an HTTP tool may reach: `api.example.com` (the scheme's default port), `api.example.com:8443`,
 * `*.example.com` (any subdomain, not the domain itself), `[::1]:8080`. Matching is on the URL's host name and port,
 * never on what it resolves to (addresses are checked separately, by the address policy).
 */
export interface HostAllowlist {
  allows(url: URL): boolean;
  /** The patterns, for messages. */
  readonly patterns: readonly string[];
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

function portOf(url: URL): string {
  return url.port || DEFAULT_PORTS[url.protocol] || '';
}

interface HostPattern {
  wildcard: boolean;
  /** Lower-case host name (IPv6 literals keep their brackets, as URL.hostname has them). */
  host: string;
  /** Undefined: the scheme's default port. */
  port?: string;
}

function parsePattern(pattern: string): HostPattern {
  const text = pattern.trim().toLowerCase();
  const match = /^(\*\.)?(\[[0-9a-f:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) throw new Error(`"${pattern}" is not a host, *.domain or host:port`);
  // Normalise the host the way URL does (IPv6 compression, IDN), so patterns and URLs compare equal.
  const host = new URL(`http://${match[2]}`).hostname;
  return { wildcard: Boolean(match[1]), host, ...(match[3] ? { port: String(Number(match[3])) } : {}) };
}

export function createHostAllowlist(patterns: readonly string[]): HostAllowlist {
  const parsed = patterns.map(parsePattern);
  return {
    patterns,
    allows(url) {
      const host = url.hostname.toLowerCase();
      const port = portOf(url);
      return parsed.some((pattern) => {
        if ((pattern.port ?? DEFAULT_PORTS[url.protocol]) !== port) return false;
        return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
      });
    },
  };
}

/** `host` or `host:port` of a URL, as messages show it (the scheme's default port omitted). */
export function hostOf(url: URL): string {
  return url.host;
}
