import { resolve } from 'node:path';
import { AdminError } from '../../../shared/admin/admin-error.js';
import { conflictError, type ImportPlan, readOpenApi, toolsFromOpenApi } from '../../../shared/admin/http-tools.js';
import { parseToolKey } from '../../../shared/store/tool-manifests.js';
import {
  type Command,
  splitList,
  stringOption,
  TENANT_TOOL_OPTION,
  toolOwnerOption,
  UsageError,
  valueError,
} from '../args.js';
import { table } from '../format.js';
import { secretNote } from './secrets.js';
import { TTL_NOTE } from './tools.js';

const importOpenApi: Command = {
  name: 'import-openapi',
  summary: 'make HTTP tools from an OpenAPI 3.x document (one per operation)',
  synopsis:
    'SPEC [--include OP,OP] [--prefix NAME_] [--scopes A,B] [--secret NAME] [--base-url URL] [--source ID]\n' +
    '                                  [--tenant T] [--output-schema] [--prune] [--dry-run] [--json]',
  description:
    'Reads an OpenAPI 3.0 or 3.1 document (JSON or YAML, a file or an http(s) URL), resolves its $refs and makes\n' +
    'one HTTP tool per operation: the name from operationId, the description from summary and description, the\n' +
    'input schema from the parameters and the JSON request body. It prints what it adds, changes (and which\n' +
    'fields), leaves and removes, then writes. Importing a changed document again updates its tools (version + 1;\n' +
    'enabled, rate limits and, without --scopes, scopes are kept); --prune removes the tools of this import whose\n' +
    'operation is gone. A tool of the same name that this import does not own (a code tool, a hand-made HTTP tool,\n' +
    "another import's) stops the import before anything is written. With --tenant (or through the admin API) the\n" +
    `tools are the tenant's own, compared with its own tools only. ${TTL_NOTE}`,
  positionals: ['SPEC'],
  options: {
    include: {
      type: 'string',
      value: 'OP,OP',
      help: 'only these operations (operationId, or method_path without one, e.g. get_orders_orderId)',
    },
    prefix: { type: 'string', value: 'NAME_', help: 'prepended to every tool name, e.g. shop_' },
    scopes: {
      type: 'string',
      value: 'A,B',
      help: 'scopes a caller needs for these tools (default: none, every caller)',
    },
    secret: {
      type: 'string',
      value: 'NAME',
      help: "the secret holding the API's credential, sent as the document's security schemes say",
    },
    'base-url': { type: 'string', value: 'URL', help: "the API's base URL, instead of the document's servers[0]" },
    source: {
      type: 'string',
      value: 'ID',
      help: 'what identifies this import (re-imports and --prune touch only its tools); default openapi:<info.title>',
    },
    'output-schema': {
      type: 'boolean',
      help: "advertise each operation's JSON 2xx object schema as the tool's outputSchema",
    },
    prune: { type: 'boolean', help: "remove this import's tools whose operation is gone from the document" },
    'dry-run': { type: 'boolean', help: 'print what would change, write nothing' },
    ...TENANT_TOOL_OPTION,
  },
  examples: [
    'mcp-cluster import-openapi ./shop.yaml --prefix shop_ --secret shop-api --dry-run',
    'mcp-cluster import-openapi https://api.example.com/openapi.json --include listPets,getPetById --scopes shop:read',
    'mcp-cluster import-openapi ./shop.yaml --prefix shop_ --secret shop-api --prune',
    'mcp-cluster import-openapi ./crm.yaml --tenant acme --secret crm-api',
  ],
  async run(ctx) {
    const { values } = ctx;
    const spec = ctx.positionals[0]!;
    const list = (name: string) => {
      const value = stringOption(values, name);
      if (value === undefined) return undefined;
      const items = splitList(value);
      if (items.length === 0) throw new UsageError(`--${name} is empty`, this.name);
      return items;
    };
    const include = list('include');
    const scopes = list('scopes');
    const baseUrl = stringOption(values, 'base-url');
    if (baseUrl !== undefined && !/^https?:\/\/[^/]/i.test(baseUrl)) {
      throw valueError('--base-url needs an absolute http(s) URL', this.name);
    }
    const dryRun = values['dry-run'] === true;

    const loaded = await readOpenApi(/^https?:\/\//i.test(spec) ? spec : resolve(ctx.io.cwd, spec));
    const secret = stringOption(values, 'secret');
    const prefix = stringOption(values, 'prefix');
    const importedFrom = stringOption(values, 'source');
    const imported = toolsFromOpenApi(loaded.document, {
      ...(prefix !== undefined ? { prefix } : {}),
      ...(include ? { include } : {}),
      ...(secret !== undefined ? { secret } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(loaded.specUrl ? { specUrl: loaded.specUrl } : {}),
      ...(importedFrom !== undefined ? { importedFrom } : {}),
      outputSchemas: values['output-schema'] === true,
    });
    if (imported.tools.length === 0) {
      for (const warning of [...loaded.warnings, ...imported.warnings]) ctx.warn(`warning: ${warning}`);
      throw new AdminError(
        'NO_OPERATIONS',
        `No operation of ${spec}${include ? ' that --include names' : ''} can be a tool (the warnings say why): nothing imported.`,
      );
    }
    const target = await ctx.admin();
    // Planned and, unless it is a dry run or a name is taken, written in one operation.
    const { plan, written } = await target.api.importOpenApi({
      imported,
      ...(scopes ? { scopes } : {}),
      prune: values.prune === true,
      dryRun,
      ...toolOwnerOption(values),
    });
    plan.warnings.unshift(...loaded.warnings);
    for (const warning of plan.warnings) ctx.warn(`warning: ${warning}`);

    if (plan.conflicts.length && !ctx.json) printPlan(ctx.print, plan, `${spec} → ${target.label}`);
    if (plan.conflicts.length) throw conflictError(plan);
    if (ctx.json) return ctx.printJson({ ...planView(plan), dryRun, written });

    printPlan(ctx.print, plan, `${spec} → ${target.label}`);
    if (dryRun) return ctx.print('Dry run: nothing was written.');
    const counts = `${plan.add.length} added, ${plan.change.length} changed, ${plan.remove.length} removed, ${plan.unchanged.length} unchanged`;
    ctx.print(`Imported ${plan.importedFrom}: ${counts}.`);
    if (secret && [...plan.add, ...plan.change.map(({ tool }) => tool)].some((tool) => tool.http.auth)) {
      const owner = toolOwnerOption(values).tenant;
      const secretName = owner && !target.remote ? `${owner}/${secret}` : secret;
      ctx.print(
        await secretNote(target.api, secretName, 'The tools authenticate', { perTenant: !owner && !target.remote }),
      );
    }
    ctx.print(TTL_NOTE);
  },
};

function planView(plan: ImportPlan) {
  return {
    importedFrom: plan.importedFrom,
    add: plan.add.map((tool) => tool.name),
    change: plan.change.map(({ tool, fields }) => ({ name: tool.name, fields })),
    unchanged: plan.unchanged,
    remove: plan.remove.map((manifest) => parseToolKey(manifest.SK).name),
    gone: plan.gone.map((manifest) => parseToolKey(manifest.SK).name),
    conflicts: plan.conflicts,
    warnings: plan.warnings,
  };
}

function printPlan(print: (text?: string) => void, plan: ImportPlan, where: string) {
  print(`Import ${plan.importedFrom} (${where}):`);
  const rows: string[][] = [
    ...plan.add.map((tool) => ['+', tool.name, `add: ${tool.http.request.method} ${tool.http.request.url}`]),
    ...plan.change.map(({ tool, fields }) => ['~', tool.name, `change: ${fields.join(', ')}`]),
    ...plan.unchanged.map((name) => ['=', name, 'unchanged']),
    ...plan.remove.map((manifest) => [
      '-',
      parseToolKey(manifest.SK).name,
      'remove: its operation is gone from the document',
    ]),
    ...plan.conflicts.map(({ name, reason }) => ['!', name, `conflict: ${reason}`]),
  ];
  if (rows.length === 0) print('  (no operations)');
  else
    print(
      table(['', 'TOOL', 'WHAT'], rows)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  print(
    `${plan.add.length} to add, ${plan.change.length} to change, ${plan.unchanged.length} unchanged, ${plan.remove.length} to remove` +
      (plan.conflicts.length ? `, ${plan.conflicts.length} in conflict` : '') +
      '.',
  );
  if (plan.gone.length) {
    const tools = plan.gone.length === 1 ? '1 tool of this import is' : `${plan.gone.length} tools of this import are`;
    const names = plan.gone.map((manifest) => parseToolKey(manifest.SK).name).join(', ');
    print(
      `${tools} gone from the document: ${names} (kept; --prune removes ${plan.gone.length === 1 ? 'it' : 'them'}).`,
    );
  }
}

export const importCommands: Command[] = [importOpenApi];
