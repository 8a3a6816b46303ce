/**
 * MCP 2026-07-28's `x-mcp-header`: a tool's input schema may mark a parameter, reached from the root through
 * `properties` only, to be mirrored by clients into an `Mcp-Param-{name}` header, so gateways can route on it without
 * reading the body. The server checks that the header and the body agree.
 */
export interface ParamHeader {
  /** The chain of `properties` keys that leads to the parameter. */
  path: readonly string[];
  /** The header as sent: `Mcp-Param-{name}`. */
  header: string;
  type: 'string' | 'integer' | 'boolean';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The `x-mcp-header` parameters of an input schema, and every way the annotations break MCP's rules (a name that is
 * not an HTTP token, a duplicate, a parameter that is not a string, integer or boolean, an annotation not reached
 * through `properties` alone). A tool with problems must not be served: clients drop it.
 */
export function paramHeadersOf(schema: Record<string, unknown>): { headers: ParamHeader[]; problems: string[] } {
  const headers: ParamHeader[] = [];
  const problems: string[] = [];
  const reachable = new Set<unknown>();
  const visit = (node: Record<string, unknown>, path: string[]) => {
    reachable.add(node);
    if (!isObject(node.properties)) return;
    for (const [key, child] of Object.entries(node.properties)) {
      if (!isObject(child)) continue;
      const at = [...path, key];
      const name = child['x-mcp-header'];
      if (name !== undefined) {
        reachable.add(child);
        const field = `inputSchema.properties.${at.join('.properties.')}`;
        if (typeof name !== 'string' || !TOKEN.test(name)) {
          problems.push(`${field}: x-mcp-header must be a non-empty HTTP token (letters, digits, !#$%&'*+-.^_\`|~)`);
        } else if (!(typeof child.type === 'string' && PRIMITIVE.has(child.type))) {
          problems.push(`${field}: x-mcp-header may mark a string, integer or boolean parameter only`);
        } else if (headers.some((h) => h.header.toLowerCase() === `mcp-param-${name.toLowerCase()}`)) {
          problems.push(`${field}: x-mcp-header "${name}" is used twice (names compare case-insensitively)`);
        } else {
          headers.push({ path: at, header: `Mcp-Param-${name}`, type: child.type as ParamHeader['type'] });
        }
      }
      visit(child, at);
    }
  };
  visit(schema, []);
  // An annotation anywhere else (under items, anyOf, $defs, if/then/else...) makes the definition invalid.
  const stack: unknown[] = [schema];
  while (stack.length) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (isObject(node)) {
      if ('x-mcp-header' in node && !reachable.has(node)) {
        problems.push('inputSchema: x-mcp-header is allowed only on parameters reached through "properties" alone');
      }
      stack.push(...Object.values(node));
    }
  }
  return { headers, problems };
}

const cache = new WeakMap<object, readonly ParamHeader[]>();

/** The header parameters of a served input schema, computed once per schema. */
export function paramHeadersFor(schema: Record<string, unknown>): readonly ParamHeader[] {
  let headers = cache.get(schema);
  if (!headers) {
    headers = paramHeadersOf(schema).headers;
    cache.set(schema, headers);
  }
  return headers;
}
