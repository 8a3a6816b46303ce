import { defineResource, isAbort, parseHttpCredential, ToolError } from 'mcp-cluster/tools';

const DEFAULT_BASE_URL = 'https://directory.example.com/v1';

/** A templated record lookup: one user's profile from the user directory, read with the directory's credential. */
export default defineResource({
  name: 'user_profile',
  title: 'User profile',
  description:
    'The profile of one user account in the user directory (name, email, plan, creation date, whether agents may ' +
    'delete it), as JSON. Read it to confirm which account an id names before acting on it.',
  uriTemplate: 'directory://users/{userId}',
  mimeType: 'application/json',
  scopes: ['users:read'],
  secrets: { directory: 'user-directory' },
  complete: {
    // Ids of the directory that start with what was typed.
    async userId(value, ctx) {
      const credential = parseHttpCredential(ctx.secrets.directory, {
        service: 'user directory',
        defaultBaseUrl: DEFAULT_BASE_URL,
      });
      const response = await fetch(`${credential.baseUrl}/users`, {
        headers: { authorization: `Bearer ${credential.apiKey}` },
        signal: ctx.signal,
      });
      if (!response.ok) return [];
      const { users } = (await response.json()) as { users: string[] };
      return users.filter((id) => id.startsWith(value));
    },
  },
  async read({ variables }, ctx) {
    const userId = variables.userId!;
    if (!/^u-[0-9]{3,12}$/.test(userId)) {
      throw new ToolError('INVALID_USER_ID', `"${userId}" is not a user id: "u-" followed by 3 to 12 digits.`);
    }
    const credential = parseHttpCredential(ctx.secrets.directory, {
      service: 'user directory',
      defaultBaseUrl: DEFAULT_BASE_URL,
    });
    let response: Response;
    try {
      response = await fetch(`${credential.baseUrl}/users/${encodeURIComponent(userId)}`, {
        headers: { authorization: `Bearer ${credential.apiKey}` },
        signal: ctx.signal,
      });
    } catch (error) {
      if (isAbort(error, ctx.signal)) throw error;
      throw new ToolError('UPSTREAM_UNAVAILABLE', 'The user directory is unavailable; retry shortly.', {
        retryable: true,
      });
    }
    if (response.status === 404) {
      throw new ToolError('RESOURCE_NOT_FOUND', `No user account "${userId}" exists.`);
    }
    if (!response.ok) {
      throw new ToolError('UPSTREAM_REJECTED', `The user directory answered HTTP ${response.status}.`, {
        retryable: response.status >= 500,
      });
    }
    return { text: JSON.stringify(await response.json(), null, 2) };
  },
});
