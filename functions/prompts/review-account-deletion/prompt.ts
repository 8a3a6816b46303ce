import { definePrompt, parseHttpCredential, ToolError } from 'mcp-cluster/tools';

const DEFAULT_BASE_URL = 'https://directory.example.com/v1';

/**
 * The prompt a support agent starts from before deleting an account: the account's profile, embedded, and the rules
 * for going ahead, so the model confirms the right account before it calls delete_user_account.
 */
export default definePrompt({
  name: 'review_account_deletion',
  title: 'Review an account deletion',
  description:
    'Prepares the deletion of a user account: embeds the account profile and asks for a check that it is the right ' +
    'account and that the request is legitimate before delete_user_account is called.',
  arguments: {
    userId: {
      description: 'The account id, "u-" followed by digits, e.g. "u-1003".',
      required: true,
      async complete(value, ctx) {
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
    request: { description: 'What the user asked for, in their words (a ticket text, say).' },
  },
  scopes: ['users:read'],
  secrets: { directory: 'user-directory' },
  async get({ userId, request }, ctx) {
    if (!/^u-[0-9]{3,12}$/.test(userId ?? '')) {
      throw new ToolError('INVALID_USER_ID', `"${userId}" is not a user id: "u-" followed by 3 to 12 digits.`);
    }
    const credential = parseHttpCredential(ctx.secrets.directory, {
      service: 'user directory',
      defaultBaseUrl: DEFAULT_BASE_URL,
    });
    const response = await fetch(`${credential.baseUrl}/users/${encodeURIComponent(userId!)}`, {
      headers: { authorization: `Bearer ${credential.apiKey}` },
      signal: ctx.signal,
    });
    if (response.status === 404) throw new ToolError('USER_NOT_FOUND', `No user account "${userId}" exists.`);
    if (!response.ok) {
      throw new ToolError('UPSTREAM_UNAVAILABLE', 'The user directory is unavailable; retry shortly.', {
        retryable: true,
      });
    }
    const profile = await response.text();
    return {
      description: `Review the deletion of ${userId}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: `directory://users/${userId}`, mimeType: 'application/json', text: profile },
          },
        },
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `I want to delete the account ${userId} (its profile is above).`,
              request ? `The request, in the user's words: "${request}".` : 'There is no written request.',
              'Before calling delete_user_account: check that the profile matches the person who asked, that the ' +
                'account is not protected, and that the request clearly asks for deletion. If anything is unclear, ' +
                'tell me what and do not delete. Otherwise call delete_user_account with a reason that quotes the request.',
            ].join('\n'),
          },
        },
      ],
    };
  },
});
