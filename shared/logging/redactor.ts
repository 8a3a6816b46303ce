/**
 * Remembers secret values and scrubs them from text. The process-wide one (below) knows every secret this process has
 * resolved and scrubs log lines and operators' error messages. A call's answer is scrubbed with the secrets that call
 * resolved only (`Redactor.of`): scrubbing it with every tenant's would tell a caller which text is someone's secret.
 * A second line of defence: secrets are never passed to a logger or put in a response on purpose in the first place.
 */
export class Redactor {
  /**
   * A redactor of these values only (a call's own secrets), made once per set of values: every call of a tool with
   * secrets asks for one, and the values change only when a secret does.
   */
  static of(values: Iterable<string>): Redactor {
    const list = [...values];
    const key = list.join('\u0000');
    let redactor = calls.get(key);
    if (!redactor) {
      redactor = new Redactor();
      for (const value of list) redactor.add(value);
      if (calls.size >= MAX_CALL_REDACTORS) calls.clear();
      calls.set(key, redactor);
    }
    return redactor;
  }

  /** The values registered. */
  readonly #values = new Set<string>();
  /** What is searched for: each value and its JSON-escaped form, longest first, so a secret that contains another is scrubbed whole. */
  #forms: string[] = [];

  /**
   * Registers a secret value, and each string field of it if it is JSON, so fragments are scrubbed too. The value's
   * JSON-escaped form is registered as well: log lines and responses are JSON text, where `"` and `\` appear escaped.
   */
  add(value: string): void {
    if (value.length < 4 || this.#values.has(value)) return; // too short to scrub without mangling ordinary text
    this.#values.add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    const forms = new Set([...this.#forms, value, escaped]);
    this.#forms = [...forms].sort((a, b) => b.length - a.length);
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object') {
        for (const field of Object.values(parsed)) if (typeof field === 'string') this.add(field);
      }
    } catch {
      // not JSON: the whole value is the secret
    }
  }

  get size(): number {
    return this.#values.size;
  }

  /** Registers every value `other` holds (a call's derived forms of a secret, into the process-wide one). */
  addAll(other: Redactor): void {
    for (const value of other.#values) this.add(value);
  }

  /**
   * Scrubs `text`, then withholds its end: for text that is a prefix of something longer (a body read up to a size
   * cap), whose last characters may be the start of a secret value. The end is withheld whether or not it is one (as
   * long as the longest secret, at least 256 characters), so the answer never tells which text starts a secret.
   */
  redactCut(text: string): string {
    const out = this.redact(text);
    if (this.#values.size === 0) return out;
    const withheld = Math.min(out.length, Math.max(256, (this.#forms[0]?.length ?? 1) - 1));
    return `${out.slice(0, out.length - withheld)}[REDACTED]`;
  }

  redact(text: string): string {
    if (this.#values.size === 0) return text;
    let out = text;
    for (const value of this.#forms) {
      if (out.includes(value)) out = out.split(value).join('[REDACTED]');
    }
    return out;
  }
}

/** Call redactors by their values (`Redactor.of`): as many as there are distinct sets of secrets in use, bounded. */
const calls = new Map<string, Redactor>();
const MAX_CALL_REDACTORS = 1_000;

/** The process-wide redactor: the secret store registers into it, the logger and the error mapper read from it. */
export const redactor = new Redactor();

/** Tenants an instance keeps a redactor for; past it, a new tenant's answers get only their calls' own scrubbing. */
const MAX_TENANTS = 10_000;

/**
 * A redactor per tenant, of the secret values its callers' calls resolved: the last scrub of an answer to a caller is
 * its tenant's, so that no answer is scrubbed of (and so tells a caller about) another tenant's secret.
 */
export class TenantRedactors {
  readonly #byTenant = new Map<string, Redactor>();

  for(tenant: string): Redactor {
    let found = this.#byTenant.get(tenant);
    if (!found) {
      found = new Redactor();
      if (this.#byTenant.size < MAX_TENANTS) this.#byTenant.set(tenant, found);
    }
    return found;
  }
}

/** The process-wide tenants' redactors: the secret store registers into them, the endpoint's answers read them. */
export const tenantRedactors = new TenantRedactors();
