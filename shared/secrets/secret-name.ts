/**
 * The one rule for a secret's name below the stack's prefix: what a code tool's `secrets` binding, an HTTP tool's
 * `auth.secret`, a manifest's rebinding and `secrets put` name (`weather-api` is `${SECRETS_PREFIX}weather-api`).
 * Up to 256 of Secrets Manager's name characters, `/` separating non-empty path segments other than `.` and `..`.
 */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_+=.@-][A-Za-z0-9/_+=.@-]{0,255}$/;

/** What a refused name should have been, for error messages. */
export const SECRET_NAME_RULE = 'up to 256 letters, digits and / _ + = . @ - (no empty, . or .. path segments)';

export function isSecretName(name: string): boolean {
  return (
    SECRET_NAME_PATTERN.test(name) && name.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}
