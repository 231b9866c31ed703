/**
 * The member read role's name: its default and IAM's rule for a role name, in one place for
 * the scanner's `--role-name`, the stacks that create the role and the context key
 * `memberRoleName`.
 */

/** The read role assumed in every other account, and the role the member stacks create. */
export const DEFAULT_MEMBER_ROLE_NAME = 'ecr-duplicate-scanner-read';

/** IAM's limit on a role name. */
export const MAX_ROLE_NAME = 64;

// IAM's characters for a role name ([A-Za-z0-9+=,.@_-]; none of them one Fn::Sub would read).
const ROLE_NAME = /^[\w+=,.@-]+$/;

/** Whether `name` holds only IAM's characters for a role name (its length is checked apart, to name the limit). */
export function isRoleName(name: string): boolean {
  return ROLE_NAME.test(name);
}
