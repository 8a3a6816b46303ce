import { defineTool, type HttpCredential, isAbort, parseHttpCredential, ToolError } from 'mcp-cluster/tools';
import { z } from 'zod';

const DEFAULT_BASE_URL = 'https://directory.example.com/v1';

function unavailable(detail: string, cause?: unknown): ToolError {
  return new ToolError(
    'UPSTREAM_UNAVAILABLE',
    `The user directory is unavailable (${detail}); the account may or may not have been deleted. ` +
      'Retrying is safe: if it then reports USER_NOT_FOUND, the first attempt succeeded.',
    { retryable: true, cause },
  );
}

function errorForStatus(status: number, userId: string): ToolError {
  if (status === 404) {
    return new ToolError(
      'USER_NOT_FOUND',
      `No user account "${userId}" exists (it may already have been deleted); nothing was deleted.`,
    );
  }
  if (status === 409) {
    return new ToolError(
      'USER_PROTECTED',
      `The account "${userId}" is protected and cannot be deleted by an agent; ask a human administrator.`,
    );
  }
  if (status === 401 || status === 403) {
    return new ToolError(
      'UPSTREAM_AUTH_FAILED',
      "The user directory rejected this server's credential; retrying will not help, ask an operator to check it.",
      { retryable: false },
    );
  }
  if (status === 408 || status === 429 || status >= 500) return unavailable(`HTTP ${status}`);
  return new ToolError(
    'UPSTREAM_REJECTED',
    `The user directory rejected the request (HTTP ${status}); nothing was deleted.`,
  );
}

interface DeleteRequest {
  credential: HttpCredential;
  userId: string;
  body: { reason: string; requestedBy: string; onBehalfOf?: string };
  signal: AbortSignal;
}

async function sendDelete({ credential, userId, body, signal }: DeleteRequest): Promise<Response> {
  try {
    return await fetch(`${credential.baseUrl}/users/${encodeURIComponent(userId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${credential.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (isAbort(error, signal)) throw error;
    throw unavailable('network error', error);
  }
}

export default defineTool({
  name: 'delete_user_account',
  title: 'Delete user account',
  description: `
Permanently deletes a user account from the user directory. This cannot be undone: only call it when a user or an
administrator has clearly asked for this specific account to be deleted, and confirm the account id first.
Give the account id (like "u-1003") and the reason for the deletion, which the directory records with your agent id.
Clients that can ask their user are asked to confirm first; NOT_CONFIRMED means the user did not, and nothing was
deleted. Returns { userId, deleted: true, deletedAt } on success. Fails with USER_NOT_FOUND when no such account exists (for
instance because it was already deleted) and USER_PROTECTED for accounts that agents may not delete.`,
  input: z.object({
    userId: z
      .string()
      .regex(/^u-[0-9]{3,12}$/, 'A user id is "u-" followed by 3 to 12 digits, e.g. "u-1003".')
      .describe('Id of the account to delete: "u-" followed by 3 to 12 digits, e.g. "u-1003" (not a name or email).'),
    reason: z
      .string()
      .trim()
      .min(10)
      .max(500)
      .describe('Why the account is being deleted, e.g. "User asked to close their account in ticket 8812". Recorded.'),
  }),
  output: z.object({
    userId: z.string().describe('Id of the deleted account.'),
    deleted: z.literal(true),
    deletedAt: z.string().describe('When the deletion was confirmed, ISO-8601 UTC.'),
  }),
  annotations: {
    title: 'Delete user account',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: true,
  },
  // Deleting twice changes nothing more (idempotentHint), but the second answer differs (USER_NOT_FOUND) and the
  // directory records a second request: a retry with the same idempotency key gets the first answer instead.
  idempotency: { enabled: true },
  scopes: ['users:admin'],
  secrets: { directory: 'user-directory' },
  timeoutMs: 8000,
  async run({ userId, reason }, ctx) {
    // A client that can ask its user (MCP 2026-07-28 with the elicitation capability) gets a confirmation to answer
    // first; the call resumes, on any instance, when it is retried with the answer. Other clients are served as before.
    if (ctx.canAsk('elicitation')) {
      const answer = await ctx.elicit({
        key: 'confirm_deletion',
        message: `Permanently delete the user account ${userId}? This cannot be undone. Reason given: ${reason}`,
        requestedSchema: {
          type: 'object',
          properties: {
            confirm: { type: 'boolean', title: 'Delete the account', description: `Yes, delete ${userId} for good.` },
          },
          required: ['confirm'],
        },
      });
      if (answer.action !== 'accept' || answer.content?.confirm !== true) {
        throw new ToolError(
          'NOT_CONFIRMED',
          `The user did not confirm deleting the account "${userId}" (${answer.action}); nothing was deleted.`,
        );
      }
    }
    const credential = parseHttpCredential(ctx.secrets.directory, {
      service: 'user directory',
      defaultBaseUrl: DEFAULT_BASE_URL,
    });
    const { agentId, onBehalfOf } = ctx.principal;
    const response = await sendDelete({
      credential,
      userId,
      body: { reason, requestedBy: agentId, onBehalfOf },
      signal: ctx.signal,
    });
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) throw errorForStatus(response.status, userId);
    ctx.logger.info('Deleted user account', { userId });
    return { userId, deleted: true as const, deletedAt: new Date().toISOString() };
  },
});
