import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { idempotencySettingsSchema, policyUpdate, rateLimitSchema, scopeListSchema, type TableRef } from './items.js';

/**
 * Tool manifests in the registry table (single-table design, on-demand; API keys share it, see api-keys.ts):
 *
 * | item | PK     | SK        | attributes                                                                          |
 * |------|--------|-----------|-------------------------------------------------------------------------------------|
 * | tool | `TOOL` | tool name | source, codeHash, defaultScopes, defaultDescription, version, updatedAt; policy:    |
 * |      |        |           | enabled?, scopes?, description?, rateLimit?, idempotency?, secrets?,                |
 * |      |        |           | secretFallback?, tenants?; HTTP: http                                               |
 * | a tenant's own HTTP tool | `TOOL` | `@<tenant>/<tool name>` | as an HTTP tool, and tenant               |
 *
 * Resources and prompts have manifests beside the tools' (`resource:<name>`, `prompt:<name>`). All manifests share
 * one partition, so an instance reads the whole registry with one Query (`readAll`). Tool names hold neither `@`,
 * `/` nor `:`, so no two kinds of key collide.
 */
export const TOOL_PARTITION = 'TOOL';

/** The manifest key of a tenant's own HTTP tool. */
export const tenantToolKey = (tenant: string, name: string) => `@${tenant}/${name}`;

/** The tenant and the tool name a manifest key names: `@acme/crm_search` is acme's `crm_search`. */
export function parseToolKey(key: string): { tenant?: string; name: string } {
  if (!key.startsWith('@')) return { name: key };
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { tenant: key.slice(1, slash), name: key.slice(slash + 1) };
}

/**
 * An HTTP tool's spec as stored: an object. Its contents are the HTTP-tools feature's to check (shared/http-tools),
 * and the runtime checks them only when the registry holds an HTTP tool, so an instance serving code tools never
 * builds the spec's schemas.
 */
export type StoredHttpSpec = { readonly [field: string]: unknown };

/** Runtime policy for one tool. Code owns schema and behaviour; the manifest owns everything operators change. */
export const toolManifestSchema = z
  .object({
    PK: z.literal(TOOL_PARTITION),
    SK: z.string().min(1),
    /**
     * `code`: a folder under functions/tools; written by the deploy-time sync.
     * `http`: a manifest-only tool wrapping an HTTP API (`http` holds its schema and request); written by operators.
     */
    source: z.enum(['code', 'http']),
    /** For `source: 'http'`: the tool's schema, request, auth and response handling. */
    http: z
      .custom<StoredHttpSpec>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
        message: 'must be an object',
      })
      .optional(),
    /** Policy, owned by operators: absent means enabled. */
    enabled: z.boolean().default(true),
    /** Policy: scopes a caller needs (all of them). Absent means the code's `scopes`. */
    scopes: scopeListSchema.optional(),
    /** Written by the sync: the code's default scopes, for operators' tooling. */
    defaultScopes: scopeListSchema.optional(),
    defaultDescription: z.string().optional(),
    /** Policy: replaces the code's description when set. */
    description: z.string().min(1).optional(),
    /** Policy: calls per agent per window for this tool. Absent means unlimited (and no counter is touched). */
    rateLimit: rateLimitSchema.optional(),
    /** Policy: protection against duplicate calls; absent fields fall back to the code's, then the cluster's. */
    idempotency: idempotencySettingsSchema.optional(),
    /** Policy: rebinds a secret binding to another secret name: `{ weather: 'weather-api-eu' }`. */
    secrets: z.record(z.string(), z.string().min(1)).optional(),
    /**
     * Policy: a caller whose tenant has no secret of its own for a binding (`<prefix><tenant>/<name>`) gets the shared
     * one (`<prefix><name>`). Absent means no: the call fails naming the binding.
     */
    secretFallback: z.boolean().optional(),
    /** Policy: the tenants whose callers see and may use the item. Absent means every tenant. */
    tenants: z.array(z.string().min(1)).optional(),
    /** For a tenant's own HTTP tool (key `@<tenant>/<name>`): the tenant. Only its callers see it. */
    tenant: z.string().min(1).optional(),
    /** Bumped on every change to the item. */
    version: z.number().int().nonnegative().default(1),
    /** Digest of the code's schema and description, written by the sync; changes when a deploy changes the tool. */
    codeHash: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.source === 'http') {
      if (!manifest.http)
        ctx.addIssue({ code: 'custom', path: ['http'], message: 'an HTTP tool needs its `http` spec' });
      if (!manifest.description)
        ctx.addIssue({ code: 'custom', path: ['description'], message: 'an HTTP tool needs a description' });
    } else if (manifest.http) {
      ctx.addIssue({ code: 'custom', path: ['http'], message: 'only `source: http` tools carry an `http` spec' });
    }
    const owner = parseToolKey(manifest.SK).tenant;
    if (owner !== manifest.tenant) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenant'],
        message: "a tenant's own tool is keyed `@<tenant>/<name>` and names its tenant; no other item names one",
      });
    } else if (owner !== undefined && manifest.source !== 'http') {
      ctx.addIssue({ code: 'custom', path: ['source'], message: "a tenant's own tools are HTTP tools" });
    }
  });

export type ToolManifest = z.infer<typeof toolManifestSchema>;

/** A manifest as operators give it: without the item's keys. */
export type ToolManifestFields = Omit<ToolManifest, 'PK'>;

/** What the deploy-time sync writes of a code tool: only what code owns. */
export interface CodeToolRecord {
  name: string;
  codeHash: string;
  defaultScopes: readonly string[];
  defaultDescription: string;
}

/** A policy change: attributes to set (plain values) and attributes to remove. */
export interface ManifestChange {
  set: Partial<
    Pick<
      ToolManifest,
      'enabled' | 'scopes' | 'rateLimit' | 'description' | 'idempotency' | 'tenants' | 'secretFallback'
    >
  >;
  remove: readonly ('scopes' | 'rateLimit' | 'description' | 'idempotency' | 'tenants' | 'secretFallback')[];
}

/** How a stored item that does not parse is reported (a listing goes on without it). */
export type MalformedManifest = (name: string, issues: z.core.$ZodIssue[]) => void;

export interface ToolManifestStore {
  /** Every manifest that parses, by tool name, read with one strongly consistent (paginated) Query. */
  readAll(options?: { onMalformed?: MalformedManifest }): Promise<Map<string, ToolManifest>>;
  /** Every item's `source` by name, parsed or not (`undefined` for an item without one). */
  readSources(): Promise<Map<string, string | undefined>>;
  /** One manifest, strongly consistent; `undefined` when there is none. Throws on an item that does not parse. */
  get(name: string): Promise<ToolManifest | undefined>;
  /** Applies a policy change, bumping `version`; the new manifest, or `undefined` when there is no such tool. */
  update(name: string, change: ManifestChange, now: Date): Promise<ToolManifest | undefined>;
  /**
   * Writes an HTTP tool's manifest if the item is still as read: absent (`expected` undefined), or the HTTP tool at
   * the version read. False when someone else wrote first (nothing is written).
   */
  putHttp(manifest: ToolManifest, expected: ToolManifest | undefined): Promise<boolean>;
  /** Deletes an HTTP tool's manifest if it is still at the version read; false otherwise. */
  deleteHttp(expected: ToolManifest): Promise<boolean>;
  /**
   * Creates or updates a code tool's manifest with what code owns, never an HTTP tool's, and only when the code
   * changed: true when written, false when unchanged or the name is another source's.
   */
  putCode(record: CodeToolRecord, now: Date): Promise<boolean>;
  /** Deletes a code tool's manifest (never another source's); false when it is not a code tool's. */
  deleteCode(name: string): Promise<boolean>;
}

const keyOf = (name: string) => ({ PK: { S: TOOL_PARTITION }, SK: { S: name } });
const HTTP_AT_VERSION = '#version = :version AND #source = :http';

export function createToolManifestStore({ client, tableName }: TableRef): ToolManifestStore {
  /** The one read of the `TOOL` partition, page by page. */
  async function* queryTools(projection?: { expression: string; names: Record<string, string> }) {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: TOOL_PARTITION } },
          ...(projection
            ? { ProjectionExpression: projection.expression, ExpressionAttributeNames: projection.names }
            : {}),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  const conditional = async (send: () => Promise<unknown>): Promise<boolean> => {
    try {
      await send();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  return {
    async readAll(options = {}) {
      const manifests = new Map<string, ToolManifest>();
      for await (const raw of queryTools()) {
        const parsed = toolManifestSchema.safeParse(unmarshall(raw));
        if (parsed.success) manifests.set(parsed.data.SK, parsed.data);
        else options.onMalformed?.(String(raw.SK?.S), parsed.error.issues);
      }
      return manifests;
    },

    async readSources() {
      const sources = new Map<string, string | undefined>();
      for await (const item of queryTools({ expression: 'SK, #source', names: { '#source': 'source' } })) {
        if (item.SK?.S) sources.set(item.SK.S, item.source?.S);
      }
      return sources;
    },

    async get(name) {
      const output = await client.send(
        new GetItemCommand({ TableName: tableName, Key: keyOf(name), ConsistentRead: true }),
      );
      return output.Item ? toolManifestSchema.parse(unmarshall(output.Item)) : undefined;
    },

    async update(name, change, now) {
      try {
        const output = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(name),
            ...policyUpdate(change, now),
            ConditionExpression: 'attribute_exists(PK)',
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toolManifestSchema.parse(unmarshall(output.Attributes ?? {}));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    putHttp(manifest, expected) {
      return conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall(manifest, { removeUndefinedValues: true }),
            ...(expected
              ? {
                  ConditionExpression: HTTP_AT_VERSION,
                  ExpressionAttributeNames: { '#version': 'version', '#source': 'source' },
                  ExpressionAttributeValues: { ':version': { N: String(expected.version) }, ':http': { S: 'http' } },
                }
              : { ConditionExpression: 'attribute_not_exists(PK)' }),
          }),
        ),
      );
    },

    deleteHttp(expected) {
      return conditional(() =>
        client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(expected.SK),
            ConditionExpression: HTTP_AT_VERSION,
            ExpressionAttributeNames: { '#version': 'version', '#source': 'source' },
            ExpressionAttributeValues: { ':version': { N: String(expected.version) }, ':http': { S: 'http' } },
          }),
        ),
      );
    },

    putCode(record, now) {
      return conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(record.name),
            // Only code manifests (or items without a source) are the sync's: an HTTP tool of the same name is left alone.
            ConditionExpression:
              'attribute_not_exists(PK) OR attribute_not_exists(#source) OR ' +
              '(#source = :code AND (attribute_not_exists(codeHash) OR codeHash <> :hash))',
            UpdateExpression:
              'SET #source = :code, codeHash = :hash, defaultScopes = :scopes, defaultDescription = :description, ' +
              'updatedAt = :now, version = if_not_exists(version, :zero) + :one',
            ExpressionAttributeNames: { '#source': 'source' },
            ExpressionAttributeValues: {
              ':code': { S: 'code' },
              ':hash': { S: record.codeHash },
              ':scopes': { L: record.defaultScopes.map((scope) => ({ S: scope })) },
              ':description': { S: record.defaultDescription },
              ':now': { S: now.toISOString() },
              ':zero': { N: '0' },
              ':one': { N: '1' },
            },
          }),
        ),
      );
    },

    deleteCode(name) {
      return conditional(() =>
        client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(name),
            ConditionExpression: '#source = :code',
            ExpressionAttributeNames: { '#source': 'source' },
            ExpressionAttributeValues: { ':code': { S: 'code' } },
          }),
        ),
      );
    },
  };
}
