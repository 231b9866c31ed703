/**
 * The ECR API operations the scanner calls, with the IAM action each needs: the one list that the
 * inventory, its AccessDenied message, the stack's build role and the member read role all read.
 * A test runs scans against the emulator and fails when it sees an operation missing here.
 *
 * This file imports nothing, so the stack (lib/) can read it without the AWS SDK.
 */

/** Operations of the inventory of a registry the scanner reads (its own account's, or a member's). */
export const ECR_INVENTORY_OPERATIONS = {
  DescribeRepositories: 'ecr:DescribeRepositories',
  // With `imageStatus: ANY`: every image of every storage class.
  ListImages: 'ecr:ListImages',
  // With `imageStatus: ARCHIVED`: which of them are archived (their artifact types and subjects too).
  DescribeImages: 'ecr:DescribeImages',
  BatchGetImage: 'ecr:BatchGetImage',
} as const;

export type EcrInventoryOperation = keyof typeof ECR_INVENTORY_OPERATIONS;

/**
 * Operations on the plan's target registry, one call each per run (scanner/ecr/registry-settings.ts):
 * its pull-through cache rules and whether blob mounting is on. Registry-level actions: IAM grants
 * them on "*" only (they have no resource type). Denied, the run warns and assumes the defaults.
 */
export const ECR_TARGET_SETTINGS_OPERATIONS = {
  DescribePullThroughCacheRules: 'ecr:DescribePullThroughCacheRules',
  GetAccountSetting: 'ecr:GetAccountSetting',
} as const;

export type EcrTargetSettingsOperation = keyof typeof ECR_TARGET_SETTINGS_OPERATIONS;

/** The IAM actions of the target registry's settings, sorted. */
export function targetSettingsIamActions(): string[] {
  return [...new Set(Object.values(ECR_TARGET_SETTINGS_OPERATIONS))].sort();
}

/**
 * What reading an ECR *source* registry (another account's or region's ECR named in input.txt)
 * needs: a registry login, then manifest reads over the registry API (which IAM authorizes as
 * these actions).
 */
export const ECR_SOURCE_LOGIN_ACTION = 'ecr:GetAuthorizationToken';
export const ECR_SOURCE_READ_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;

/** The IAM actions of the inventory, sorted and without repeats. */
export function inventoryIamActions(): string[] {
  return [...new Set(Object.values(ECR_INVENTORY_OPERATIONS))].sort();
}
