/**
 * Remembers every secret value this process has resolved and scrubs them from any text that leaves it
 * (log lines, error messages, tool results). A second line of defence: secrets are never passed to a logger
 * or put in a response on purpose in the first place.
 */
export class Redactor {
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

  /**
   * Scrubs `text`, then a secret cut off at its end: for text that is a prefix of something longer (a body read up to
   * a size cap), where the last characters may be the start of a secret value.
   */
  redactCut(text: string): string {
    const out = this.redact(text);
    if (this.#values.size === 0) return out;
    for (const value of this.#forms) {
      for (let length = Math.min(value.length - 1, out.length); length >= 4; length--) {
        if (out.endsWith(value.slice(0, length))) return `${out.slice(0, out.length - length)}[REDACTED]`;
      }
    }
    return out;
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

/** The process-wide redactor: the secret store registers into it, the logger and the error mapper read from it. */
export const redactor = new Redactor();
