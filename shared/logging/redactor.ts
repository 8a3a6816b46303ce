/**
 * Remembers every secret value this process has resolved and scrubs them from any text that leaves it
 * (log lines, error messages, tool results). A second line of defence: secrets are never passed to a logger
 * or put in a response on purpose in the first place.
 */
export class Redactor {
  readonly #values = new Set<string>();

  /** Registers a secret value, and each string field of it if it is JSON, so fragments are scrubbed too. */
  add(value: string): void {
    if (value.length < 4) return; // too short to scrub without mangling ordinary text
    this.#values.add(value);
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

  redact(text: string): string {
    if (this.#values.size === 0) return text;
    let out = text;
    for (const value of this.#values) {
      if (out.includes(value)) out = out.split(value).join('[REDACTED]');
    }
    return out;
  }
}

/** The process-wide redactor: the secret store registers into it, the logger and the error mapper read from it. */
export const redactor = new Redactor();
