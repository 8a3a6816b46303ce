import type { RegistrySnapshot } from '../../registry/snapshot.js';

/** The scopes the served tools use: all of them, and those of the read-only tools. */
export interface ToolScopes {
  /** Every scope an enabled tool needs, sorted: the metadata's `scopes_supported` (with the required scopes). */
  readonly all: readonly string[];
  /**
   * The scopes of the enabled tools annotated `readOnlyHint: true`, sorted: what a client that knows no better is told to
   * ask for, so that a general-purpose client gets the tools that change nothing and must ask for the others by name.
   */
  readonly readOnly: readonly string[];
}

const computed = new WeakMap<RegistrySnapshot, ToolScopes>();

/** The scopes of a snapshot's tools, computed once per snapshot. */
export function toolScopesOf(snapshot: RegistrySnapshot): ToolScopes {
  let scopes = computed.get(snapshot);
  if (scopes === undefined) {
    const all = new Set<string>();
    const readOnly = new Set<string>();
    for (const tool of snapshot.tools()) {
      // Public metadata: the scopes of tools every tenant may see, not of those restricted to some.
      if (!tool.enabled || tool.tenants !== undefined) continue;
      for (const scope of tool.scopes) {
        all.add(scope);
        if (tool.definition.annotations?.readOnlyHint === true) readOnly.add(scope);
      }
    }
    scopes = { all: [...all].sort(), readOnly: [...readOnly].sort() };
    computed.set(snapshot, scopes);
  }
  return scopes;
}

/** `a` and `b` together, in order, without repeats and without `*` (a wildcard is nothing an authorization server issues). */
export function unionOf(...lists: readonly (readonly string[])[]): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const scope of list) if (scope !== '*') out.add(scope);
  return [...out];
}
